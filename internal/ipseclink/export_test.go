package ipseclink

import "time"

// TraceSteps makes converge report each step of every link it runs to f,
// until the returned function is called. Tests that use it must not run in
// parallel with other converges they do not want to hear.
func TraceSteps(f func(link, step string, finished bool)) (stop func()) {
	t := stepTracer(f)
	stepTrace.Store(&t)
	return func() { stepTrace.Store(nil) }
}

// SetReadyBudget bounds how long a rolling apply waits for the passive
// server of an HA pair to report ready; it returns the previous bound.
func SetReadyBudget(d time.Duration) (previous time.Duration) {
	return time.Duration(readyBudget.Swap(int64(d)))
}
