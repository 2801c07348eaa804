package gemma2

import "github.com/actsh/actsh/engine/enginetest"

// stFile is a safetensors file with an int accessor for the tests.
type stFile = enginetest.File

func readST(path string) (*stFile, error) { return enginetest.Open(path) }
