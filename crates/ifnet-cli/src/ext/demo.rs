//! `ifnet demo`: the built-in walk-through of seed 004 (moving devices
//! between namespaces, devices that never move, and what a dying namespace
//! does with its devices), then a failover trio whose master alone gets an
//! IPv6 link-local (addrconf skips IFF_NO_ADDRCONF slaves). It runs on a
//! private in-memory kernel, so it needs no state file and leaves none
//! behind.

use std::io::Write;

use ifnet_core::user_space::NetnsNames;
use ifnet_core::{Kernel, KernelProfile};

use crate::ip::args::Opts;
use crate::session::batch::flush;
use crate::session::Session;

/// One step: what it shows, then commands as `(netns, words)`.
struct Step {
    title: &'static str,
    why: &'static str,
    commands: &'static [(Option<&'static str>, &'static str)],
}

const STEPS: &[Step] = &[
    Step {
        title: "Boot: init_net has only lo; the hypervisor plugs a NIC",
        why: "register_netdevice() gives lo ifindex 1; the e1000 probe names the NIC eth%d -> eth0.",
        commands: &[(None, "hw add 0000:00:03.0 type nic mac 52:54:00:12:34:56"), (None, "link show")],
    },
    Step {
        title: "Two namespaces and a veth pair across them",
        why: "Each namespace boots its own lo (ifindex 1). The veth peer moves to blue: \
              the pair now shows @ifN and link-netns.",
        commands: &[
            (None, "netns add blue"),
            (None, "link add veth0 type veth peer name veth1"),
            (None, "link set veth1 netns blue"),
            (None, "link show"),
            (Some("blue"), "link show"),
        ],
    },
    Step {
        title: "Move the physical NIC into blue and bring it up there",
        why: "__dev_change_net_namespace(): close, UNREGISTER, DELLINK in init_net, \
              REGISTER and NEWLINK in blue; the device keeps ifindex 2 because it is free there.",
        commands: &[
            (None, "link set eth0 netns blue"),
            (Some("blue"), "link set eth0 up"),
            (Some("blue"), "link show"),
        ],
    },
    Step {
        title: "Devices that must never move",
        why: "lo is netns_immutable (NETIF_F_NETNS_LOCAL in seed 004): -EINVAL with the kernel's extack.",
        commands: &[(None, "link set lo netns blue")],
    },
    Step {
        title: "A second NIC is plugged while the first is away",
        why: "eth0 is free in init_net again, so the new NIC takes the name eth0.",
        commands: &[(None, "hw add 0000:00:04.0 type nic mac 52:54:00:12:34:57"), (None, "link show")],
    },
    Step {
        title: "The namespace dies",
        why: "default_device_exit_batch(): the physical NIC goes back to init_net; its name \
              clashes, so it becomes dev<ifindex> = dev2. Virtual devices die: veth1 and, \
              through veth_dellink(), its peer veth0 in init_net. lo goes last.",
        commands: &[(None, "netns del blue"), (None, "link show")],
    },
    Step {
        title: "A failover trio: who gets an IPv6 link-local address",
        why: "A virtio-net NIC with STANDBY gets a failover master and a standby slave; a VF \
              with the same MAC becomes the primary. addrconf_notify() gives the master its \
              EUI-64 link-local when it comes up; the slaves carry IFF_NO_ADDRCONF \
              (failover_slave_register, since 6.2) and get none.",
        commands: &[
            (None, "hw add 0000:00:05.0 type virtio-net mac 52:54:00:aa:bb:01 standby"),
            (None, "link set eth1 up"),
            (None, "hw add 0000:00:06.0 type vf mac 52:54:00:aa:bb:01 driver mlx5_core"),
            (None, "-br address show"),
        ],
    },
];

/// Runs the demo and returns the exit status (0 unless a step misbehaves).
pub fn run() -> i32 {
    let mut kernel = Some((Kernel::new(KernelProfile::latest()), NetnsNames::default()));
    let mut out = std::io::stdout().lock();
    for (i, step) in STEPS.iter().enumerate() {
        let _ = writeln!(out, "\n== {}. {} ==\n   {}\n", i + 1, step.title, step.why);
        let _ = out.flush();
        for (ns, cmd) in step.commands {
            let prefix = ns.map(|n| format!("-n {n} ")).unwrap_or_default();
            let _ = writeln!(out, "$ ifnet {prefix}{cmd}");
            let _ = out.flush();
            let (k, names) = kernel
                .take()
                .expect("kernel is returned after each command");
            kernel = Some(run_one(k, names, *ns, cmd));
        }
    }
    0
}

/// One command as a fresh `ip` process would run it on the shared kernel
/// (and the shared /var/run/netns).
fn run_one(k: Kernel, names: NetnsNames, ns: Option<&str>, cmd: &str) -> (Kernel, NetnsNames) {
    // `-br` is the one global option the story uses.
    let (brief, cmd) = match cmd.strip_prefix("-br ") {
        Some(rest) => (true, rest),
        None => (false, cmd),
    };
    let opts = Opts {
        netns: ns.map(str::to_string),
        brief,
        ..Opts::default()
    };
    let init = k.init_net();
    let mut s = Session::new(k, init, opts);
    s.names = names;
    if let Some(name) = ns {
        if let Some(net) = s.names.get(name) {
            s.net = net;
        }
    }
    let words: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
    let _ = crate::app::do_cmd(&mut s, &words);
    s.k.run_until_idle();
    // Errors belong to the story: show them in order, on stdout.
    let err = std::mem::take(&mut s.err);
    s.p.out.extend_from_slice(&err);
    flush(&mut s);
    (s.k, s.names)
}
