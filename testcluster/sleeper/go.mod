module github.com/regcred/testcluster/sleeper

go 1.26.0
