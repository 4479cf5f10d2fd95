"""The directory of members' own distance courses (the observatory of distance training)."""
