package sandbox

var mysqlPrograms = map[string]func(p *proc) int{}
