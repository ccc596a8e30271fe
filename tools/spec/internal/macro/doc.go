// Package macro implements rpm 4.18's macro language in pure Go.
package macro
