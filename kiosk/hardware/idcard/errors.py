"""Every way reading the card's chip fails, each with the words the screen shows (Vietnamese
first, English second, through the one translation catalogue) and the word for a program."""

from __future__ import annotations

from ...i18n import N_


class CardReadError(Exception):
    """The chip could not be read. `code`: for programs and logs (never anything of the card);
    `message`: English, translated where it is shown."""

    code = "card_read_failed"
    message = N_("The card could not be read. Please place it on the reader again.")

    def __init__(self, detail: str = ""):
        super().__init__(detail or self.code)
        self.detail = detail
        """What went wrong, for staff (`kiosk read-card`): a status word, a step; never card data."""


class NoCard(CardReadError):
    code = "no_card"
    message = N_("Place your ID card on the reader.")


class NoReader(CardReadError):
    """No card reader, or no PC/SC service to reach it."""

    code = "no_reader"
    message = N_("The card reader is not working. Please ask staff for help.")


class WrongAccessKey(CardReadError):
    """The card refused the key (the CAN or the MRZ key): the digits typed or scanned are not this card's."""

    code = "wrong_access_key"
    message = N_("This card does not match the ID number given. Check the last 6 digits of the ID number.")


class CardRemoved(CardReadError):
    code = "card_removed"
    message = N_("The card was moved during reading. Please leave it on the reader until it is done.")


class ChipAnswerInvalid(CardReadError):
    """The chip answered what no genuine card answers: a bad MAC, a malformed structure."""

    code = "chip_answer_invalid"
    message = N_("This card's chip gave an answer that cannot be trusted. Please ask staff for help.")


class ReadTimeout(CardReadError):
    code = "read_timeout"
    message = N_("Reading the card took too long. Please place it on the reader again.")
