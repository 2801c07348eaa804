package simdot

// Install replaces simplego's float32 block kernel with the vectorised
// one when this build and CPU support it. It reports which kernel runs,
// in words, and whether the fast one was installed. Installing twice is
// harmless. Call it before running any graph on the pure-Go backend.
func Install() (what string, ok bool) { return install() }

// Available reports whether [Install] can install the vectorised kernel
// in this build on this CPU.
func Available() bool { return available() }
