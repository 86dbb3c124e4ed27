"""Reading the chip of the Vietnamese citizen ID card (CCCD), an ICAO 9303 eMRTD application:
the keys a citizen's card opens with (keys.py), secure messaging (secure_messaging.py), Basic
Access Control (bac.py), and the ways a read fails, in the citizen's words (errors.py).

No Kivy, no disk: what the chip holds lives in memory for one look-up. The ciphers are
`cryptography`'s; nothing here implements one. Checked against the worked examples of ICAO
Doc 9303 Part 11 (tests/hardware/test_idcard_crypto.py). What the card is and how it is read
is in the project's notes on the CCCD chip."""
