"""Scanner, receipt printer and card reader: an interface each, real drivers and simulators. No Kivy."""
