"""The branch's desks: each takes one kind of request through the branch's transaction
(the store, the engine, the events it causes), as edge_agent/branch.py does for tickets."""
