//! The built-in scenarios (files under `scenarios/`, compiled in), by name.

pub const BUILTIN: [(&str, &str); 6] = [
    (
        "virtio-failover-udev",
        include_str!("../scenarios/virtio-failover-udev.toml"),
    ),
    (
        "azure-vf-hotadd",
        include_str!("../scenarios/azure-vf-hotadd.toml"),
    ),
    (
        "azure-vf-before-netvsc",
        include_str!("../scenarios/azure-vf-before-netvsc.toml"),
    ),
    (
        "azure-netvsc-in-netns",
        include_str!("../scenarios/azure-netvsc-in-netns.toml"),
    ),
    (
        "netns-lifecycle",
        include_str!("../scenarios/netns-lifecycle.toml"),
    ),
    (
        "ipoib-bond-failover",
        include_str!("../scenarios/ipoib-bond-failover.toml"),
    ),
];

/// A built-in scenario's text.
pub fn get(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}
