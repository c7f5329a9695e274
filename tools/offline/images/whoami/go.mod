module swarmlab.local/whoami

go 1.22
