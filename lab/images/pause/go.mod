module hcp-lab/images/pause

go 1.24
