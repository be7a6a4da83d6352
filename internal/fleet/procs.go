package fleet

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// pids hands out increasing process IDs; Windows PIDs are multiples of 4.
type pids struct {
	rng     *rand.Rand
	next    int
	windows bool
}

func (p *pids) take(gap int) int {
	if p.windows {
		p.next += 4 * (1 + p.rng.IntN(gap))
	} else {
		p.next += 1 + p.rng.IntN(gap)
	}
	return p.next
}

// procList builds a process list.
type procList struct {
	pids  *pids
	procs []agentdata.Process
}

func (l *procList) add(gap int, system bool, name, path, cmd string) int {
	pid := l.pids.take(gap)
	l.procs = append(l.procs, agentdata.Process{PID: pid, Name: name, Path: path, CommandLine: cmd, IsSystem: system})
	return pid
}

func (l *procList) addPID(pid int, system bool, name, path, cmd string) int {
	l.procs = append(l.procs, agentdata.Process{PID: pid, Name: name, Path: path, CommandLine: cmd, IsSystem: system})
	return pid
}

// procs fills h's process list and the PIDs of its connections' owners.
func procs(h *host, rng *rand.Rand) {
	l := &procList{pids: &pids{rng: rng, windows: h.windows}}
	if h.windows {
		windowsProcs(h, l)
	} else {
		linuxProcs(h, l)
	}
	h.procs = l.procs
}

func linuxProcs(h *host, l *procList) {
	a := h.app
	d := a.linux
	sys := func(gap int, name, path, cmd string) int { return l.add(gap, true, name, path, cmd) }
	if d.family == "debian" {
		l.addPID(1, true, "systemd", "/usr/lib/systemd/systemd", "/sbin/init")
	} else {
		l.addPID(1, true, "systemd", "/usr/lib/systemd/systemd", "/usr/lib/systemd/systemd --switched-root --system --deserialize 22")
	}
	l.pids.next = 300 + l.pids.rng.IntN(200)
	sys(40, "systemd-journald", "/usr/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald")
	sys(40, "systemd-udevd", "/usr/lib/systemd/systemd-udevd", "/usr/lib/systemd/systemd-udevd")
	if d.family == "rhel" {
		sys(120, "auditd", "/usr/sbin/auditd", "/sbin/auditd")
	}
	sys(60, "dbus-daemon", "/usr/bin/dbus-daemon", "/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only")
	sys(20, "systemd-logind", "/usr/lib/systemd/systemd-logind", "/usr/lib/systemd/systemd-logind")
	if d.family == "debian" {
		h.pidDNS = sys(30, "systemd-resolved", "/usr/lib/systemd/systemd-resolved", "/lib/systemd/systemd-resolved")
		h.pidNTP = sys(30, "chronyd", "/usr/sbin/chronyd", "/usr/sbin/chronyd -F 1")
		sys(80, "cron", "/usr/sbin/cron", "/usr/sbin/cron -f -P")
	} else {
		h.pidNTP = sys(30, "chronyd", "/usr/sbin/chronyd", "/usr/sbin/chronyd -F 2")
		sys(80, "crond", "/usr/sbin/crond", "/usr/sbin/crond -n")
	}
	sys(60, "rsyslogd", "/usr/sbin/rsyslogd", "/usr/sbin/rsyslogd -n")
	h.pidAdmin = sys(60, "sshd", "/usr/sbin/sshd", "/usr/sbin/sshd -D")
	sys(20, "agetty", "/usr/sbin/agetty", "/sbin/agetty -o -p -- \\u --noclear tty1 linux")
	switch h.hyper {
	case hvVMware:
		sys(200, "vmtoolsd", "/usr/bin/vmtoolsd", "/usr/bin/vmtoolsd")
	case hvEC2:
		l.add(200, false, "amazon-ssm-agent", "/usr/bin/amazon-ssm-agent", "/usr/bin/amazon-ssm-agent")
	case hvHyperV:
		sys(200, "hv_kvp_daemon", "/usr/sbin/hv_kvp_daemon", "/usr/sbin/hv_kvp_daemon -n")
	case hvKVM:
		sys(200, "qemu-ga", "/usr/bin/qemu-ga", "/usr/bin/qemu-ga --method=virtio-serial --path=/dev/virtio-ports/org.qemu.guest_agent.0")
	}
	l.add(300, false, "aws-discoveryd", "/opt/aws/discovery/aws-discoveryd", "/opt/aws/discovery/aws-discoveryd -d /var/opt/aws/discovery")
	l.pids.next += 400 + l.pids.rng.IntN(2000)

	heapMB := int(h.info.TotalRAMMB * 0.6)
	switch h.role {
	case Web:
		if d.family == "rhel" && d.key != "al2023" && d.key != "al2" {
			l.add(10, false, "httpd", "/usr/sbin/httpd", "/usr/sbin/httpd -DFOREGROUND")
			for i := range min(4, h.info.NumLogicalProcessors) {
				pid := l.add(5, false, "httpd", "/usr/sbin/httpd", "/usr/sbin/httpd -DFOREGROUND")
				if i == 0 {
					h.pidServe = pid
				}
			}
		} else {
			l.add(10, false, "nginx", "/usr/sbin/nginx", "nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf")
			for i := range min(4, h.info.NumLogicalProcessors) {
				pid := l.add(5, false, "nginx", "/usr/sbin/nginx", "nginx: worker process")
				if i == 0 {
					h.pidServe = pid
				}
			}
		}
		h.pidClient = h.pidServe
	case App:
		java := "/usr/lib/jvm/java-17-amazon-corretto/bin/java"
		switch d.family {
		case "debian":
			java = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"
		default:
			if d.key == "rhel8" || d.key == "rhel9" {
				java = "/usr/lib/jvm/jre-17-openjdk/bin/java"
			}
		}
		var cmd string
		if a.idx%2 == 0 {
			cmd = fmt.Sprintf("%s -Xms1024m -Xmx%dm -Djava.util.logging.config.file=/opt/tomcat/conf/logging.properties -Dcatalina.base=/opt/tomcat -Dcatalina.home=/opt/tomcat -Djava.io.tmpdir=/opt/tomcat/temp -classpath /opt/tomcat/bin/bootstrap.jar:/opt/tomcat/bin/tomcat-juli.jar org.apache.catalina.startup.Bootstrap start", java, heapMB)
		} else {
			cmd = fmt.Sprintf("%s -Xmx%dm -XX:+UseG1GC -jar /opt/%s/%s-service.jar --server.port=%d --spring.profiles.active=%s", java, heapMB, a.name, a.name, a.appPort, a.env)
		}
		h.pidServe = l.add(10, false, "java", java, cmd)
		h.pidClient = h.pidServe
	case DB:
		switch a.db {
		case postgres:
			bin, data := "/usr/pgsql-15/bin/postgres", "/var/lib/pgsql/15/data/"
			if d.family == "debian" {
				bin, data = "/usr/lib/postgresql/14/bin/postgres", "/var/lib/postgresql/14/main -c config_file=/etc/postgresql/14/main/postgresql.conf"
			}
			h.pidServe = l.add(10, false, "postgres", bin, bin+" -D "+data)
			for _, bg := range []string{"logger", "checkpointer", "background writer", "walwriter", "autovacuum launcher", "logical replication launcher"} {
				l.add(3, false, "postgres", bin, "postgres: "+bg)
			}
			if h.ordinal > 1 {
				h.pidClient = l.add(3, false, "postgres", bin, "postgres: walreceiver streaming")
			}
		case mysql:
			bin := "/usr/sbin/mysqld"
			if d.family == "rhel" {
				bin = "/usr/libexec/mysqld"
			}
			h.pidServe = l.add(10, false, "mysqld", bin, bin+" --basedir=/usr --datadir=/var/lib/mysql --socket=/var/lib/mysql/mysql.sock")
			h.pidClient = h.pidServe
		case oracle:
			home := "/u01/app/oracle/product/19.0.0/dbhome_1"
			for _, bg := range []string{"pmon", "clmn", "psp0", "vktm", "dbw0", "lgwr", "ckpt", "smon", "reco", "mmon"} {
				l.add(3, false, "ora_"+bg+"_ORCL", "", "ora_"+bg+"_ORCL")
			}
			h.pidServe = l.add(20, false, "tnslsnr", home+"/bin/tnslsnr", home+"/bin/tnslsnr LISTENER -inherit")
			h.pidClient = l.add(3, false, "oracle", home+"/bin/oracle", "oracleORCL (LOCAL=NO)")
		}
		if h.pidClient == 0 {
			h.pidClient = h.pidServe
		}
	case Cache:
		h.pidServe = l.add(10, false, "redis-server", "/usr/bin/redis-server", "/usr/bin/redis-server 0.0.0.0:"+strconv.Itoa(PortRedis))
		h.pidClient = h.pidServe
	case Queue:
		erts := "/usr/lib64/erlang/erts-13.2.2/bin"
		if d.family == "debian" {
			erts = "/usr/lib/erlang/erts-13.2.2/bin"
		}
		l.add(10, false, "epmd", erts+"/epmd", erts+"/epmd -daemon")
		h.pidServe = l.add(10, false, "beam.smp", erts+"/beam.smp", erts+"/beam.smp -W w -MBas ageffcbf -MHas ageffcbf -P 1048576 -t 5000000 -stbt db -zdbbl 128000 -B i -- -root /usr/lib/erlang -progname erl -- -home /var/lib/rabbitmq -- -noshell -noinput -s rabbit boot")
		h.pidClient = h.pidServe
	}
	if h.pidDNS == 0 {
		h.pidDNS = h.pidClient
	}
}

func windowsProcs(h *host, l *procList) {
	a := h.app
	w := a.windows
	const sys32 = `C:\Windows\System32\`
	sys := func(gap int, name, path, cmd string) int { return l.add(gap, true, name, path, cmd) }
	l.addPID(4, true, "System", "", "")
	l.pids.next = 280 + 4*l.pids.rng.IntN(40)
	sys(10, "smss.exe", sys32+"smss.exe", `\SystemRoot\System32\smss.exe`)
	sys(20, "csrss.exe", sys32+"csrss.exe", `%SystemRoot%\system32\csrss.exe ObjectDirectory=\Windows SharedSection=1024,20480,768 Windows=On SubSystemType=Windows ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16`)
	sys(10, "wininit.exe", sys32+"wininit.exe", "wininit.exe")
	sys(10, "services.exe", sys32+"services.exe", `C:\Windows\system32\services.exe`)
	sys(5, "lsass.exe", sys32+"lsass.exe", `C:\Windows\system32\lsass.exe`)
	svchost := func(group string) int {
		return sys(30, "svchost.exe", sys32+"svchost.exe", `C:\Windows\system32\svchost.exe -k `+group)
	}
	svchost("DcomLaunch -p")
	svchost("RPCSS -p")
	h.pidDNS = svchost("NetworkService -p -s Dnscache")
	h.pidNTP = svchost("LocalService -s W32Time")
	svchost("netsvcs -p")
	h.pidAdmin = svchost("termsvcs -s TermService")
	sys(40, "spoolsv.exe", sys32+"spoolsv.exe", `C:\Windows\System32\spoolsv.exe`)
	sys(200, "WmiPrvSE.exe", sys32+`wbem\WmiPrvSE.exe`, `C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding`)
	switch h.hyper {
	case hvVMware:
		sys(100, "vmtoolsd.exe", `C:\Program Files\VMware\VMware Tools\vmtoolsd.exe`, `"C:\Program Files\VMware\VMware Tools\vmtoolsd.exe"`)
	case hvEC2:
		l.add(100, false, "amazon-ssm-agent.exe", `C:\Program Files\Amazon\SSM\amazon-ssm-agent.exe`, `"C:\Program Files\Amazon\SSM\amazon-ssm-agent.exe"`)
	}
	l.add(200, false, "AWSDiscoveryService.exe", `C:\Program Files\AWS Discovery\Agent\AWSDiscoveryService.exe`, `"C:\Program Files\AWS Discovery\Agent\AWSDiscoveryService.exe"`)
	l.pids.next += 4 * (200 + l.pids.rng.IntN(800))

	pool := a.name
	switch h.role {
	case Web:
		svchost("iissvcs -p -s W3SVC")
		h.pidServe = l.add(20, false, "w3wp.exe", sys32+`inetsrv\w3wp.exe`,
			fmt.Sprintf(`c:\windows\system32\inetsrv\w3wp.exe -ap "%s" -v "v4.0" -l "webengine4.dll" -h "C:\inetpub\temp\apppools\%s\%s.config" -w "" -m 0`, pool, pool, pool))
		h.pidClient = h.pidServe
	case App:
		dll := fmt.Sprintf(`C:\apps\%s\%s.Api.dll`, a.name, a.name)
		scheme := "http"
		if a.appPort == PortAppHTTPS {
			scheme = "https"
		}
		h.pidServe = l.add(20, false, "dotnet.exe", `C:\Program Files\dotnet\dotnet.exe`,
			fmt.Sprintf(`"C:\Program Files\dotnet\dotnet.exe" %s --urls %s://0.0.0.0:%d`, dll, scheme, a.appPort))
		h.pidClient = h.pidServe
	case DB:
		binn := `C:\Program Files\Microsoft SQL Server\` + w.sqlDir + `\MSSQL\Binn\`
		h.pidServe = l.add(20, false, "sqlservr.exe", binn+"sqlservr.exe", `"`+binn+`sqlservr.exe" -sMSSQLSERVER`)
		l.add(20, false, "SQLAGENT.EXE", binn+"SQLAGENT.EXE", `"`+binn+`SQLAGENT.EXE" -i MSSQLSERVER`)
		l.add(20, false, "sqlwriter.exe", `C:\Program Files\Microsoft SQL Server\90\Shared\sqlwriter.exe`, `"C:\Program Files\Microsoft SQL Server\90\Shared\sqlwriter.exe"`)
		h.pidClient = h.pidServe
	case Queue:
		erts := `C:\Program Files\Erlang OTP\erts-13.2.2\bin\`
		l.add(10, false, "erlsrv.exe", erts+"erlsrv.exe", `"`+erts+`erlsrv.exe"`)
		l.add(10, false, "epmd.exe", erts+"epmd.exe", `"`+erts+`epmd.exe" -daemon`)
		h.pidServe = l.add(10, false, "erl.exe", erts+"erl.exe", `"`+erts+`erl.exe" -service_event ErlSrv_RabbitMQ -nohup -sname rabbit@`+h.host+` -s rabbit boot -noshell -noinput`)
		h.pidClient = h.pidServe
	}
}
