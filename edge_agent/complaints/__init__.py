"""投诉处理: complaints from the lobby, their steps and their targets."""
