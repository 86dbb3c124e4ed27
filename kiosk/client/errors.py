"""What can go wrong when the kiosk talks to the backend, in words a citizen can read."""

from __future__ import annotations


class BackendError(Exception):
    """Base of the client's errors; `message_vi` and `message_en` are for the screen."""

    message_vi = "Đã có lỗi khi kết nối với hệ thống. Vui lòng thử lại sau."
    message_en = "Something went wrong reaching the system. Please try again later."

    def __init__(self, detail: str = ""):
        super().__init__(detail or self.message_en)
        self.detail = detail


class Offline(BackendError):
    message_vi = "Máy chưa kết nối được với hệ thống. Bạn vẫn có thể tra cứu và in thủ tục."
    message_en = "The kiosk cannot reach the system now. You can still look up and print procedures."


class Timeout(BackendError):
    message_vi = "Hệ thống trả lời quá chậm. Vui lòng thử lại sau ít phút."
    message_en = "The system is taking too long to answer. Please try again in a few minutes."


class Unauthorized(BackendError):
    message_vi = "Máy chưa được cấp quyền. Vui lòng báo cán bộ hướng dẫn."
    message_en = "This kiosk is not authorised. Please tell a member of staff."


class NotFound(BackendError):
    message_vi = "Không tìm thấy thông tin. Vui lòng kiểm tra lại mã."
    message_en = "Nothing was found. Please check the code."


class Rejected(BackendError):
    """The backend refused the request (a 4xx other than 401/404); `code` is its error code."""

    message_vi = "Yêu cầu chưa thực hiện được. Vui lòng hỏi cán bộ hướng dẫn."
    message_en = "The request could not be done. Please ask a member of staff."

    def __init__(self, detail: str = "", code: str = "", status: int = 400):
        super().__init__(detail)
        self.code, self.status = code, status


class UpstreamUnavailable(BackendError):
    """The backend is reached, but the province's one-stop system it asks for the dossier is not
    (`upstream_unavailable`): the kiosk is not offline, and asking again at once will not help."""

    message_vi = "Không liên lạc được với hệ thống một cửa của tỉnh. Vui lòng thử lại sau."
    message_en = "The province's one-stop system cannot be reached. Please try again later."


class ServerError(BackendError):
    """A 5xx, or an answer the kiosk cannot read."""

    message_vi = "Hệ thống đang gặp sự cố. Vui lòng thử lại sau."
    message_en = "The system has a problem right now. Please try again later."
