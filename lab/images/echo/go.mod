module hcp-lab/images/echo

go 1.24
