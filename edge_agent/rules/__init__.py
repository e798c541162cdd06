"""Pure rules of the branch's work: lifecycles, who may sign in, what a vote or a promotion
must be. No store, no bus: the desks apply them inside their transactions."""
