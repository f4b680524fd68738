//! A user's own agent through the `Agent` trait: a naive DHCP client that
//! configures every Ethernet device whose kernel `add` uevent it sees,
//! without looking at `master`. Against seed 000's failover it configures
//! the VF, a slave: the explorer finds it and the schedule replays.

use ifnet_core::client::Client;
use ifnet_core::Kernel;
use ifnet_sim::agent::{Agent, Choice, Cx, Listens, Msg};
use ifnet_sim::explore::{replay, search, Config};
use ifnet_sim::{builtin, Scenario};
use std::collections::{BTreeMap, VecDeque};
use std::hash::{Hash, Hasher};

#[derive(Clone, Hash, Default)]
struct NaiveDhcp {
    todo: VecDeque<String>,
}

impl Agent for NaiveDhcp {
    fn name(&self) -> &str {
        "naive-dhcp"
    }
    fn describe(&self) -> String {
        "a DHCP client that trusts every add uevent".into()
    }
    fn hash_state(&self, mut h: &mut dyn Hasher) {
        self.hash(&mut h);
    }
    fn listens(&self) -> Listens {
        Listens {
            net_is_init: true,
            kernel_uevents: true,
            udev_events: false,
            link_multicast: false,
        }
    }
    fn deliver(&mut self, m: &Msg) {
        if let Msg::Uevent(u) = m {
            if u.subsystem == "net" && u.action == "add" && self.todo.len() < 16 {
                self.todo.extend(u.interface.clone());
            }
        }
    }
    fn choices(&self, _k: &Kernel) -> Vec<Choice> {
        if self.todo.is_empty() {
            return Vec::new();
        }
        vec![Choice {
            thread: 0,
            needs_rtnl: true,
            writes_kernel: true,
            sends: false,
            local: false,
        }]
    }
    fn step(&mut self, _thread: u32, cx: &mut Cx<'_>) -> String {
        let Some(name) = self.todo.pop_front() else {
            return "idle".into();
        };
        let r = Client::new(cx.kernel, cx.net).add_addr(&name, "10.0.0.9/24");
        format!("dhcp on {name}: {:?}", r.err().map(|e| e.errno))
    }
}

#[test]
fn a_user_agent_is_explored() {
    let s = Scenario::parse(builtin::get("virtio-failover-udev").unwrap()).unwrap();
    let mut w = s.build(None, &BTreeMap::new()).unwrap();
    w.add_agent(Box::new(NaiveDhcp::default()));
    assert_eq!(w.agent_names(), ["udev", "naive-dhcp"]);
    let p = s.props().unwrap();
    let out = search(&w, &p, &Config::default(), &mut |_| {});
    let v = out
        .violation
        .expect("the naive client configures the slave");
    assert_eq!(v.invariant, "no-address-on-slave");
    assert_eq!(v.message, "eth2 is a slave and has an IPv4 address");
    let r = replay::self_check(&w, &p, &v.schedule).unwrap();
    let last = r.records.last().unwrap();
    assert_eq!(
        (last.lane.as_str(), last.text.as_str()),
        ("naive-dhcp", "dhcp on eth2: None")
    );
}

/// An agent that counts how often the world asks for its choices, and
/// says whether they read the kernel.
#[derive(Clone)]
struct Counted {
    asked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    reads_kernel: bool,
}

impl Agent for Counted {
    fn name(&self) -> &str {
        "counted"
    }
    fn describe(&self) -> String {
        "counts choices() calls".into()
    }
    fn hash_state(&self, _h: &mut dyn Hasher) {}
    fn listens(&self) -> Listens {
        Listens::NONE
    }
    fn deliver(&mut self, _m: &Msg) {}
    fn choices(&self, _k: &Kernel) -> Vec<Choice> {
        self.asked
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Vec::new()
    }
    fn choices_read_kernel(&self) -> bool {
        self.reads_kernel
    }
    fn step(&mut self, _thread: u32, _cx: &mut Cx<'_>) -> String {
        "idle".into()
    }
}

/// `Agent::choices_read_kernel`: an agent that says its choices do not
/// read the kernel is asked once per version of itself, however many
/// worlds share it (the explorer asks in every state); one that keeps the
/// default is asked every time.
#[test]
fn choices_are_asked_once_per_agent_version_unless_they_read_the_kernel() {
    for (reads_kernel, want) in [(false, 1), (true, 3)] {
        let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let k = Kernel::new(ifnet_core::KernelProfile::latest());
        let mut w = ifnet_sim::World::new(k, BTreeMap::new());
        w.add_agent(Box::new(Counted {
            asked: asked.clone(),
            reads_kernel,
        }));
        let fork = w.clone();
        for x in [&w, &fork, &w] {
            assert!(x.enabled().is_empty());
        }
        let n = asked.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(n, want, "choices_read_kernel = {reads_kernel}");
    }
}
