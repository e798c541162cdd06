"""服务评价: the rating prompt at each counter, votes, and whether they can be trusted."""
