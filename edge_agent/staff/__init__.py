"""Staff as people: the roster, PINs, and who is signed in where."""
