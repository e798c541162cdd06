"""Tools around the product, never installed on a branch box: the demo, the branch simulator, the kiosk journey driver, private brokers."""
