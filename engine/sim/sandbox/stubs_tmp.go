package sandbox

var netPrograms = map[string]func(p *proc) int{}
var mysqlPrograms = map[string]func(p *proc) int{}

const dnsServerIP = "10.96.0.10"
