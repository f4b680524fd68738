//! `ifnet maddress` against what Linux 6.18 printed for the same commands
//! (ip 6.1, one command per invocation): ipv6_add_dev joins ff01::1 and
//! ff02::1 at NETDEV_REGISTER (only ff02::1 gets a link address,
//! igmp6_group_added), ip_mc_up joins 224.0.0.1 while the device is up,
//! dev_mc_add_global marks "static", and /proc/net/igmp* list newest first.

use std::path::PathBuf;
use std::process::Command;

fn run(state: &PathBuf, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ifnet"))
        .arg("--state")
        .arg(state)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn maddress_matches_linux() {
    let dir = std::env::temp_dir().join(format!("ifnet-maddr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let st = dir.join("state.json");
    let _ = std::fs::remove_file(&st);
    for cmd in [
        "link add v0 type veth peer name v1",
        "link set v0 up",
        "maddress add 01:00:5e:01:02:03 dev v0",
        "link set v0 down",
    ] {
        run(&st, &cmd.split(' ').collect::<Vec<_>>());
    }
    assert_eq!(
        run(&st, &["maddr", "show", "dev", "v0"]),
        "3:\tv0\n\tlink  33:33:00:00:00:01\n\tlink  01:00:5e:01:02:03 static\n\tinet6 ff02::1\n\tinet6 ff01::1\n"
    );
    run(&st, &["link", "set", "v0", "up"]);
    assert_eq!(
        run(&st, &["maddr", "show", "dev", "v0"]),
        "3:\tv0\n\tlink  33:33:00:00:00:01\n\tlink  01:00:5e:01:02:03 static\n\tlink  01:00:5e:00:00:01\n\tinet  224.0.0.1\n\tinet6 ff02::1\n\tinet6 ff01::1\n"
    );
    // addrconf: an MTU below IPV6_MIN_MTU removes the IPv6 device.
    run(&st, &["link", "set", "v1", "mtu", "1000"]);
    assert_eq!(run(&st, &["maddr", "show", "dev", "v1"]), "");
    run(&st, &["link", "set", "v1", "mtu", "1500"]);
    assert_eq!(
        run(&st, &["-j", "maddr", "show", "dev", "v1"]),
        "[{\"ifindex\":2,\"ifname\":\"v1\",\"maddr\":[{\"link\":\"33:33:00:00:00:01\"},{\"family\":\"inet6\",\"address\":\"ff02::1\"},{\"family\":\"inet6\",\"address\":\"ff01::1\"}]}]\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
