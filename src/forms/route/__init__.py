"""Decision → the messages to send: the agency forward and the bank's answer."""
