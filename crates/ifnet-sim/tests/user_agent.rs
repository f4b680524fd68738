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
