"""Head office: every branch's lobby in one place (issue 19). This package so far ingests what
the branches publish into PostgreSQL; the network view, the fleet page and the customer's
phone page build on it."""
