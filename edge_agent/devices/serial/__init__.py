"""One serial device's connection, with a state you can name."""
