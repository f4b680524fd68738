//! Opening, closing and changing a device: `dev_open`/`dev_close`,
//! `netif_change_flags`, carrier, MTU, MAC address, alias, txqueuelen.

use crate::consts::*;
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::netdev::{NetDevice, Qdisc};
use crate::notifier::NetdevEvent;
use crate::rtnetlink::RtmType;

/// `IFALIASZ`.
pub const IFALIASZ: usize = 256;

/// The two counters that own a device flag: `dev->promiscuity` (IFF_PROMISC)
/// and `dev->allmulti` (IFF_ALLMULTI).
#[derive(Debug, Clone, Copy)]
enum FlagCounter {
    Promiscuity,
    Allmulti,
}

impl FlagCounter {
    fn flag(self) -> u32 {
        match self {
            FlagCounter::Promiscuity => IFF_PROMISC,
            FlagCounter::Allmulti => IFF_ALLMULTI,
        }
    }

    /// The counter's name in the kernel's "touches roof" line.
    fn name(self) -> &'static str {
        match self {
            FlagCounter::Promiscuity => "promiscuity",
            FlagCounter::Allmulti => "allmulti",
        }
    }

    /// The mode in "entered/left … mode".
    fn mode(self) -> &'static str {
        match self {
            FlagCounter::Promiscuity => "promiscuous",
            FlagCounter::Allmulti => "allmulticast",
        }
    }

    fn get(self, d: &NetDevice) -> u32 {
        match self {
            FlagCounter::Promiscuity => d.promiscuity,
            FlagCounter::Allmulti => d.allmulti,
        }
    }

    fn get_mut(self, d: &mut NetDevice) -> &mut u32 {
        match self {
            FlagCounter::Promiscuity => &mut d.promiscuity,
            FlagCounter::Allmulti => &mut d.allmulti,
        }
    }
}

impl Kernel {
    /// `__dev_open()`: PRE_UP (may veto), validate address, ndo_open,
    /// set IFF_UP, `dev_set_rx_mode`, `dev_activate`.
    fn __dev_open(&mut self, dev: DevId) -> KResult<()> {
        if self.dev(dev).running() {
            return Ok(());
        }
        self.call_netdevice_notifiers(NetdevEvent::PreUp, dev)?;
        // set_bit(__LINK_STATE_START): running from here, while opening.
        self.inflight.dev_opening = Some(dev);
        let opened = self.ndo_validate_addr(dev).and_then(|_| self.ndo_open(dev));
        self.inflight.dev_opening = None;
        opened?;
        self.dev_mut(dev).flags |= IFF_UP;
        self.dev_set_rx_mode(dev);
        self.dev_activate(dev);
        Ok(())
    }

    /// `dev_activate()`: attach the default root qdisc on first open.
    fn dev_activate(&mut self, dev: DevId) {
        let d = self.dev_mut(dev);
        if d.qdisc == Qdisc::Noop {
            d.qdisc = if d.tx_queue_len == 0 || d.priv_flags & IFF_NO_QUEUE != 0 {
                Qdisc::Noqueue
            } else {
                Qdisc::PfifoFast
            };
        }
    }

    /// `dev_open()` / `netif_open()`: RTM_NEWLINK then NETDEV_UP.
    pub fn dev_open(&mut self, dev: DevId) -> KResult<()> {
        if self.dev(dev).is_up() {
            return Ok(());
        }
        self.__dev_open(dev)?;
        self.rtmsg_ifinfo(RtmType::NewLink, dev, IFF_UP | IFF_RUNNING);
        let _ = self.call_netdevice_notifiers(NetdevEvent::Up, dev);
        Ok(())
    }

    /// `__dev_close_many()`: GOING_DOWN for all, then ndo_stop and clear UP.
    fn __dev_close_many(&mut self, devs: &[DevId]) {
        for &d in devs {
            let _ = self.call_netdevice_notifiers(NetdevEvent::GoingDown, d);
        }
        for &d in devs {
            self.ndo_stop(d);
            self.dev_mut(d).flags &= !IFF_UP;
        }
    }

    /// `dev_close_many()`: RTM_NEWLINK and NETDEV_DOWN per device.
    pub(crate) fn dev_close_many(&mut self, devs: &[DevId]) {
        let up: Vec<DevId> = devs
            .iter()
            .copied()
            .filter(|&d| self.dev(d).is_up())
            .collect();
        self.__dev_close_many(&up);
        for &d in &up {
            self.rtmsg_ifinfo(RtmType::NewLink, d, IFF_UP | IFF_RUNNING);
            let _ = self.call_netdevice_notifiers(NetdevEvent::Down, d);
        }
    }

    /// `dev_close()`.
    pub fn dev_close(&mut self, dev: DevId) {
        self.dev_close_many(&[dev]);
    }

    /// `netif_change_flags()`: `__dev_change_flags` then
    /// `__dev_notify_flags` with the changes of `flags` and `gflags`.
    pub fn dev_change_flags(&mut self, dev: DevId, flags: u32) -> KResult<()> {
        let (old_flags, old_gflags) = (self.dev(dev).flags, self.dev(dev).gflags);
        self.__dev_change_flags(dev, flags)?;
        let d = self.dev(dev);
        let changes = (old_flags ^ d.flags) | (old_gflags ^ d.gflags);
        self.__dev_notify_flags(dev, old_flags, changes);
        Ok(())
    }

    /// `__dev_change_flags()`: user-changeable bits, then open or close,
    /// then IFF_PROMISC and IFF_ALLMULTI as asked (`gflags`), each held as
    /// one count of the device's promiscuity / allmulti. A failed open
    /// still lets the other bits and the promisc/allmulti requests through,
    /// as in Linux; the error is returned after them.
    pub(crate) fn __dev_change_flags(&mut self, dev: DevId, flags: u32) -> KResult<()> {
        let old_flags = self.dev(dev).flags;
        {
            let d = self.dev_mut(dev);
            d.flags = (flags
                & (IFF_DEBUG
                    | IFF_NOTRAILERS
                    | IFF_NOARP
                    | IFF_DYNAMIC
                    | IFF_MULTICAST
                    | IFF_PORTSEL
                    | IFF_AUTOMEDIA))
                | (d.flags & (IFF_UP | IFF_VOLATILE | IFF_PROMISC | IFF_ALLMULTI));
        }
        if (old_flags ^ flags) & IFF_MULTICAST != 0 {
            self.dev_change_rx_flags(dev, IFF_MULTICAST);
        }
        self.dev_set_rx_mode(dev);
        let mut ret = Ok(());
        if (old_flags ^ flags) & IFF_UP != 0 {
            if old_flags & IFF_UP != 0 {
                self.__dev_close_many(&[dev]);
            } else {
                ret = self.__dev_open(dev);
            }
        }
        if (flags ^ self.dev(dev).gflags) & IFF_PROMISC != 0 {
            let inc = if flags & IFF_PROMISC != 0 { 1 } else { -1 };
            let before = self.dev(dev).flags;
            self.dev_mut(dev).gflags ^= IFF_PROMISC;
            if self.__dev_set_promiscuity(dev, inc, false).is_ok() && self.dev(dev).flags != before
            {
                self.dev_set_rx_mode(dev);
            }
        }
        if (flags ^ self.dev(dev).gflags) & IFF_ALLMULTI != 0 {
            let inc = if flags & IFF_ALLMULTI != 0 { 1 } else { -1 };
            self.dev_mut(dev).gflags ^= IFF_ALLMULTI;
            let _ = self.netif_set_allmulti(dev, inc, false);
        }
        ret
    }

    /// `__dev_notify_flags(dev, old_flags, gchanges, 0, NULL)`.
    pub(crate) fn __dev_notify_flags(&mut self, dev: DevId, old_flags: u32, gchanges: u32) {
        self.__dev_notify_flags_report(dev, old_flags, gchanges, None);
    }

    /// `__dev_notify_flags(dev, old_flags, gchanges, portid, nlh)`: the
    /// RTM_NEWLINK (reported to the sender with NLM_F_ECHO), NETDEV_UP /
    /// DOWN, then NETDEV_CHANGE for other changes of an UP device.
    pub(crate) fn __dev_notify_flags_report(
        &mut self,
        dev: DevId,
        old_flags: u32,
        gchanges: u32,
        report: Option<crate::rtnetlink::Report>,
    ) {
        let flags = self.dev(dev).flags;
        let changes = flags ^ old_flags;
        if gchanges != 0 {
            self.rtmsg_ifinfo_report(RtmType::NewLink, dev, gchanges, report);
        }
        if changes & IFF_UP != 0 {
            let ev = if flags & IFF_UP != 0 {
                NetdevEvent::Up
            } else {
                NetdevEvent::Down
            };
            let _ = self.call_netdevice_notifiers(ev, dev);
        }
        if flags & IFF_UP != 0
            && changes & !(IFF_UP | IFF_PROMISC | IFF_ALLMULTI | IFF_VOLATILE) != 0
        {
            let _ = self.call_netdevice_notifiers(NetdevEvent::Change, dev);
        }
    }

    /// `netif_running()` as the kernel sees it: IFF_UP, or inside
    /// `__dev_open` between setting __LINK_STATE_START and IFF_UP.
    pub(crate) fn netif_running(&self, dev: DevId) -> bool {
        self.dev(dev).running() || self.inflight.dev_opening == Some(dev)
    }

    /// `dev_set_promiscuity()` → `netif_set_promiscuity()`: a driver's or
    /// an upper device's count (a bridge port holds one).
    pub(crate) fn dev_set_promiscuity(&mut self, dev: DevId, inc: i32) {
        let before = self.dev(dev).flags;
        if self.__dev_set_promiscuity(dev, inc, true).is_ok() && self.dev(dev).flags != before {
            self.dev_set_rx_mode(dev);
        }
    }

    /// What uppers that hand their receive flags to one lower do in
    /// `ndo_change_rx_flags` (`netvsc_change_rx_flags`, active-backup's
    /// `bond_set_promiscuity` / `bond_set_allmulti`): each of IFF_PROMISC /
    /// IFF_ALLMULTI in `change` becomes one count more or less on `lower`,
    /// as `upper` now has the flag or not.
    pub(crate) fn dev_pass_rx_flags(&mut self, upper: DevId, lower: DevId, change: u32) {
        let flags = self.dev(upper).flags;
        let inc = |flag: u32| if flags & flag != 0 { 1 } else { -1 };
        if change & IFF_PROMISC != 0 {
            self.dev_set_promiscuity(lower, inc(IFF_PROMISC));
        }
        if change & IFF_ALLMULTI != 0 {
            self.dev_set_allmulti(lower, inc(IFF_ALLMULTI));
        }
    }

    /// `dev_change_rx_flags()`: tells the driver which of IFF_PROMISC,
    /// IFF_ALLMULTI, IFF_MULTICAST flipped (an upper passes promiscuity
    /// and allmulti on to its lowers there).
    fn dev_change_rx_flags(&mut self, dev: DevId, change: u32) {
        if let Some(op) = self.dev(dev).driver.ops().netdev_ops.ndo_change_rx_flags {
            op(self, dev, change);
        }
    }

    /// `__dev_set_promiscuity()`: the counter decides IFF_PROMISC in
    /// `flags` ("entered/left promiscuous mode" when it flips; a count that
    /// would wrap to 0 is -EOVERFLOW). With `notify`,
    /// `__dev_notify_flags(dev, old_flags, IFF_PROMISC)`: every call sends
    /// an RTM_NEWLINK with ifi_change = IFF_PROMISC, even when the flag
    /// does not flip.
    pub(crate) fn __dev_set_promiscuity(
        &mut self,
        dev: DevId,
        inc: i32,
        notify: bool,
    ) -> KResult<()> {
        let (old_flags, flipped) = self.dev_flag_counter_add(dev, FlagCounter::Promiscuity, inc)?;
        if flipped {
            self.dev_change_rx_flags(dev, IFF_PROMISC);
        }
        if notify {
            self.__dev_notify_flags(dev, old_flags, IFF_PROMISC);
        }
        Ok(())
    }

    /// `dev_set_allmulti()` → `netif_set_allmulti(dev, inc, true)`.
    pub(crate) fn dev_set_allmulti(&mut self, dev: DevId, inc: i32) {
        let _ = self.netif_set_allmulti(dev, inc, true);
    }

    /// `netif_set_allmulti()`: the counter decides IFF_ALLMULTI in `flags`
    /// ("entered/left allmulticast mode"); with `notify` and a flip,
    /// `__dev_notify_flags(dev, old_flags, gflags ^ old_gflags)`: gflags
    /// do not change here, so nothing is sent and no NETDEV_CHANGE is
    /// raised (IFF_ALLMULTI is excluded).
    pub(crate) fn netif_set_allmulti(&mut self, dev: DevId, inc: i32, notify: bool) -> KResult<()> {
        let (old_flags, flipped) = self.dev_flag_counter_add(dev, FlagCounter::Allmulti, inc)?;
        if flipped {
            self.dev_change_rx_flags(dev, IFF_ALLMULTI);
            self.dev_set_rx_mode(dev);
        }
        if flipped && notify {
            self.__dev_notify_flags(dev, old_flags, 0);
        }
        Ok(())
    }

    /// What `__dev_set_promiscuity()` and `netif_set_allmulti()` share:
    /// adds `inc` to the device's `counter`, which decides its flag in
    /// `flags` ("entered/left MODE mode" when it flips; a count that would
    /// wrap to 0 on an increment is "touches roof" and -EOVERFLOW, nothing
    /// changed). Returns the old flags and whether the flag flipped.
    fn dev_flag_counter_add(
        &mut self,
        dev: DevId,
        counter: FlagCounter,
        inc: i32,
    ) -> KResult<(u32, bool)> {
        let flag = counter.flag();
        let old_flags = self.dev(dev).flags;
        let count = counter.get(self.dev(dev)).wrapping_add_signed(inc);
        let flags = if count == 0 {
            if inc > 0 {
                let p = self.netdev_printk_prefix(dev);
                let name = counter.name();
                self.printk(format!("{p}{name} touches roof, set {name} failed. {name} feature of device might be broken."));
                return Err(KError::new(Errno::EOVERFLOW));
            }
            old_flags & !flag
        } else {
            old_flags | flag
        };
        let d = self.dev_mut(dev);
        *counter.get_mut(d) = count;
        let flipped = flags != old_flags;
        if flipped {
            d.flags = flags;
            let what = if flags & flag != 0 { "entered" } else { "left" };
            let p = self.netdev_printk_prefix(dev);
            self.printk(format!("{p}{what} {} mode", counter.mode()));
        }
        Ok((old_flags, flipped))
    }

    /// `__netdev_printk()`'s prefix: "DRIVER PARENT NAME: " for a device
    /// with a parent, else "NAME: ", the name followed by its reg_state
    /// when not registered (`netdev_reg_state()`).
    pub(crate) fn netdev_printk_prefix(&self, dev: DevId) -> String {
        let d = self.dev(dev);
        let name = d.name.as_str();
        let name = if name.is_empty() || name.contains('%') {
            "(unnamed net_device)"
        } else {
            name
        };
        let state = match d.reg_state {
            RegState::Uninitialized => " (uninitialized)",
            RegState::Registered => "",
            RegState::Unregistering => " (unregistering)",
            RegState::Unregistered => " (unregistered)",
            RegState::Released => " (released)",
        };
        match (&d.parent, d.driver.driver_name()) {
            (Some(parent), Some(drv)) => format!("{drv} {parent} {name}{state}: "),
            _ => format!("{name}{state}: "),
        }
    }

    /// `netif_carrier_on()`.
    pub fn netif_carrier_on(&mut self, dev: DevId) {
        let d = self.dev_mut(dev);
        if d.carrier {
            return;
        }
        d.carrier = true;
        if d.reg_state == RegState::Uninitialized {
            return;
        }
        d.carrier_up_count += 1;
        self.linkwatch_fire_event(dev);
    }

    /// `netif_carrier_off()`.
    pub fn netif_carrier_off(&mut self, dev: DevId) {
        let d = self.dev_mut(dev);
        if !d.carrier {
            return;
        }
        d.carrier = false;
        if d.reg_state == RegState::Uninitialized {
            return;
        }
        d.carrier_down_count += 1;
        self.linkwatch_fire_event(dev);
    }

    /// `netif_state_change()`: NETDEV_CHANGE + RTM_NEWLINK, only when UP.
    pub(crate) fn netif_state_change(&mut self, dev: DevId) {
        if self.dev(dev).is_up() {
            let _ = self.call_netdevice_notifiers(NetdevEvent::Change, dev);
            self.rtmsg_ifinfo(RtmType::NewLink, dev, 0);
        }
    }

    /// `dev_validate_mtu()`.
    pub(crate) fn dev_validate_mtu(&self, dev: DevId, mtu: u32) -> KResult<()> {
        let d = self.dev(dev);
        if mtu > i32::MAX as u32 || mtu < d.min_mtu {
            return Err(KError::msg(Errno::EINVAL, "mtu less than device minimum"));
        }
        if d.max_mtu > 0 && mtu > d.max_mtu {
            return Err(KError::msg(
                Errno::EINVAL,
                "mtu greater than device maximum",
            ));
        }
        Ok(())
    }

    /// `netif_set_mtu_ext()`: validate, PRECHANGEMTU (may veto), ndo,
    /// CHANGEMTU; a CHANGEMTU veto rolls the MTU back.
    pub fn dev_set_mtu(&mut self, dev: DevId, mtu: u32) -> KResult<()> {
        let orig = self.dev(dev).mtu;
        if mtu == orig {
            return Ok(());
        }
        self.dev_validate_mtu(dev, mtu)?;
        if self.dev(dev).reg_state != RegState::Registered
            && self.dev(dev).reg_state != RegState::Uninitialized
        {
            return Err(KError::new(Errno::ENODEV));
        }
        self.call_netdevice_notifiers(NetdevEvent::PreChangeMtu, dev)?;
        self.ndo_change_mtu(dev, mtu)?;
        if let Err(e) = self.call_netdevice_notifiers(NetdevEvent::ChangeMtu, dev) {
            let _ = self.ndo_change_mtu(dev, orig);
            let _ = self.call_netdevice_notifiers(NetdevEvent::ChangeMtu, dev);
            return Err(e);
        }
        Ok(())
    }

    /// `netif_set_mac_address()`.
    pub fn dev_set_mac_address(&mut self, dev: DevId, addr: HwAddr) -> KResult<()> {
        let d = self.dev(dev);
        // validate_linkmsg(): shorter than addr_len is EINVAL; longer is
        // truncated to addr_len.
        if addr.len() < d.dev_addr.len() {
            return Err(KError::new(Errno::EINVAL));
        }
        let addr = HwAddr::new(&addr.as_bytes()[..d.dev_addr.len()]).expect("shorter");
        if d.reg_state != RegState::Registered {
            return Err(KError::new(Errno::ENODEV));
        }
        let same = d.dev_addr == addr;
        self.call_netdevice_notifiers(NetdevEvent::PreChangeAddr, dev)?;
        if !same {
            self.ndo_set_mac_address(dev, addr)?;
        }
        self.dev_mut(dev).addr_assign_type = AddrAssign::Set;
        let _ = self.call_netdevice_notifiers(NetdevEvent::ChangeAddr, dev);
        Ok(())
    }

    /// `netif_set_alias()`: empty text removes the alias.
    pub fn dev_set_alias(&mut self, dev: DevId, alias: &str) -> KResult<()> {
        if alias.len() >= IFALIASZ {
            return Err(KError::new(Errno::EINVAL));
        }
        self.dev_mut(dev).ifalias = if alias.is_empty() {
            None
        } else {
            Some(alias.to_string())
        };
        Ok(())
    }

    /// `netif_change_tx_queue_len()`. Its ERANGE is for an unsigned long
    /// past unsigned int; IFLA_TXQLEN is a u32, so every value fits (ip's
    /// `txqueuelen -1` sets 4294967295, printed "qlen -1").
    pub fn dev_change_tx_queue_len(&mut self, dev: DevId, len: u32) -> KResult<()> {
        let orig = self.dev(dev).tx_queue_len;
        if orig == len {
            return Ok(());
        }
        self.dev_mut(dev).tx_queue_len = len;
        if let Err(e) = self.call_netdevice_notifiers(NetdevEvent::ChangeTxQueueLen, dev) {
            self.dev_mut(dev).tx_queue_len = orig;
            return Err(e);
        }
        Ok(())
    }
}

impl Kernel {
    /// Sets or clears private flags, as a driver or module does on its own
    /// devices (e.g. failover's IFF_LIVE_RENAME_OK on 5.1–6.1).
    pub fn set_priv_flags(&mut self, dev: DevId, bits: u64, on: bool) {
        let d = self.dev_mut(dev);
        if on {
            d.priv_flags |= bits;
        } else {
            d.priv_flags &= !bits;
        }
    }
}
