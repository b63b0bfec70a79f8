// A hook method's `#[cfg(..)]` is copied onto its shim and registration.
use hooks_runtime::prelude::*;

#[derive(Hooks, Default)]
struct Worker {
    #[hooks(base)]
    service: Service,
}

#[cfg(any())]
struct OnlyInAnotherBuild;

#[hooks]
impl Worker {
    #[on_init]
    fn init(&mut self) {}

    #[cfg(any())]
    #[on_init]
    fn never(&mut self) -> Result<(), OnlyInAnotherBuild> {
        Ok(())
    }
}

fn main() {
    assert_eq!(Worker::default().hooks::<OnInit>().len(), 1);
}
