raise AssertionError("--exclude leaves this out")
