//! `inventory` silently drops a crate nothing references: count what this test crate registered.

use hooks_runtime::prelude::*;

#[derive(Hooks, Default)]
struct Counted {
    #[hooks(base)]
    service: Service,
}

#[hooks]
impl Counted {
    #[on_init]
    fn a(&mut self) {}
    #[on_start]
    async fn b(&mut self) {}
    #[on_stop]
    fn c(&mut self) {}
    #[background_task(interval = "1s")]
    async fn d(&mut self) {}
}

#[test]
fn every_hook_method_of_this_crate_is_collected() {
    let here: Vec<&str> =
        hooks_runtime::registrations().filter(|r| r.location.file == file!()).map(|r| r.method).collect();
    assert_eq!(here.len(), 4, "collected: {here:?}");
    assert_eq!(Counted::default().hook_infos().len(), 4);
}
