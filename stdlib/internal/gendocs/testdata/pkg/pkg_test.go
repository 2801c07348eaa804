package pkg

// Test files are not documented.
func TestNothing() {}
