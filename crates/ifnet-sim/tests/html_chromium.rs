//! The `--html` timeline in a real browser: headless Chromium (installed by
//! .ci/run from the distribution's packages) loads the page from a file,
//! runs its script, and the DOM it dumps has the lanes and the violating
//! step. Without Chromium the test fails with a message, unless
//! IFNET_NO_CHROMIUM=1 opts out explicitly.

use ifnet_sim::run::{execute, Request};
use std::process::Command;

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

fn dump_dom(browser: &str, page: &str, name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("ifnet-html-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.html");
    std::fs::write(&file, page).unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .args(["--virtual-time-budget=2000", "--dump-dom"])
        .arg(format!("file://{}", file.display()))
        .output()
        .expect("run chromium");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn page(kernel: &str, udev: &str) -> String {
    let mut r = Request {
        scenario: "virtio-failover-udev".into(),
        kernel: Some(kernel.into()),
        html: Some("unused".into()),
        ..Default::default()
    };
    r.agents.insert("udev".into(), udev.into());
    let resp = execute(&r, &mut |_| {}).unwrap();
    assert!(resp.report.violation.is_some());
    resp.html.unwrap()
}

fn browser() -> Option<&'static str> {
    let Some(browser) = chromium() else {
        if std::env::var("IFNET_NO_CHROMIUM").as_deref() == Ok("1") {
            eprintln!("IFNET_NO_CHROMIUM=1: skipping the headless-Chromium test");
            return None;
        }
        panic!("headless Chromium is needed (apt-get install chromium; .ci/run does it), or set IFNET_NO_CHROMIUM=1 to skip this test explicitly");
    };
    Some(browser)
}

/// The seed-000 counterexample (udev 249 on 5.0: EBUSY) as rendered by a
/// browser: the lanes, every step, the violating one marked.
#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(browser) = browser() else { return };
    let html = page("5.0", "249");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network resources"
    );
    let dom = dump_dom(browser, &html, "seed000");
    for lane in ["hardware", "kernel", "udev"] {
        assert!(
            dom.contains(&format!("<th class=\"lane\">{lane}</th>")),
            "lane {lane} missing:\n{dom}"
        );
    }
    assert!(
        dom.contains("data-rendered=\"6\""),
        "the script drew 6 steps:\n{dom}"
    );
    assert!(
        dom.contains("<tr id=\"step-6\" class=\"violation\">"),
        "{dom}"
    );
    assert!(dom.contains("VIOLATION: Failed to rename network interface 4 from 'eth2' to 'enp0s9': Device or resource busy"), "{dom}");
    assert!(
        dom.contains("netlink RTM_SETLINK IFLA_IFNAME → error EBUSY"),
        "the step's detail is in the page:\n{dom}"
    );
}

/// Seed 002's counterexample (azure-vf-hotadd on 6.6, without c807d6cd,
/// with udev 252 as in azure-vm-utils#106), checked for what acceptance 1
/// is about (NetworkManager configuring the VF): the lanes of the
/// hardware, the kernel and the three agents, the probe parked in
/// `register_netdevice` while udev's rule reads `flags` without IFF_SLAVE,
/// and NM's default connection marked as the violating step.
#[test]
fn seed_002_html_report_renders_in_headless_chromium() {
    let Some(browser) = browser() else { return };
    let text = ifnet_sim::builtin::get("azure-vf-hotadd")
        .unwrap()
        .replacen(
            "kernel = \"latest\"",
            "kernel = \"latest\"\ninvariants = [\"nm-no-default-for-vf\", \"no-address-on-slave\"]",
            1,
        );
    let dir = std::env::temp_dir().join(format!("ifnet-html-s002-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("seed002.toml");
    std::fs::write(&file, text).unwrap();
    let mut r = Request {
        scenario: file.to_str().unwrap().into(),
        kernel: Some("6.6".into()),
        html: Some("unused".into()),
        ..Default::default()
    };
    r.agents.insert("udev".into(), "252".into());
    let resp = execute(&r, &mut |_| {}).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let v = resp.report.violation.as_ref().expect("a counterexample");
    assert_eq!(v.invariant, "nm-no-default-for-vf");
    let html = resp.html.unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"));
    let dom = dump_dom(browser, &html, "seed002");
    for lane in ["hardware", "kernel", "udev", "nm", "cloud-init"] {
        assert!(
            dom.contains(&format!("<th class=\"lane\">{lane}</th>")),
            "lane {lane} missing:\n{dom}"
        );
    }
    let n = v.steps.len();
    assert!(dom.contains(&format!("data-rendered=\"{n}\"")), "{dom}");
    assert!(
        dom.contains(&format!("<tr id=\"step-{n}\" class=\"violation\">")),
        "{dom}"
    );
    assert!(
        dom.contains(
            "VIOLATION: eth1: managed; auto-default \"Wired connection 1\" (DHCP) created"
        ),
        "{dom}"
    );
    assert!(dom.contains("probe parked in register_netdevice"), "{dom}");
    assert!(
        dom.contains("read /sys/class/net/eth1/flags = 0x1002"),
        "{dom}"
    );
    assert!(
        dom.contains("10-azure-unmanaged-sriov: ATTR{flags} does not match"),
        "{dom}"
    );
}
