{
 "algorithm": "Ed25519",
 "key_id": "6cb0a01be754a84f",
 "signature": "Il1JnyzmYosOraTH+MJcPEZgOhwJq1ma5McFhd1W7ew9Uw7MXoJwEN/E6V+6tME0QoQiIESLkgDoCgB/0/pmDA=="
}
