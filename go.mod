module github.com/keel-build/keel

go 1.26
