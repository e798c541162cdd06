"""识别转介: referrals from the counter and the lobby to a relationship manager, and their follow-up."""
