timeout = "x"
follow = 3
token = "no"
