// Every mistake of a `#[stage]` method is reported in one compile: `async`, a receiver other
// than `&mut self`, a pattern parameter, and a second stage on another method.
use hooks_runtime::prelude::*;

#[derive(Debug)]
pub struct NodeError;

impl From<Vetoed> for NodeError {
    fn from(_: Vetoed) -> Self {
        NodeError
    }
}

stage!(pub Forward((u32, u32)) -> Result<usize, NodeError>);
stage!(pub Backward(u32) -> Result<usize, NodeError>);

#[derive(Hooks, Default)]
#[provides_hooks(Forward, Backward)]
struct Agent {
    attached: AttachedHooks,
}

#[hooks]
impl Agent {
    #[stage(Forward)]
    async fn forward(&self, (a, b): (u32, u32)) -> Result<usize, NodeError> {
        Ok((a + b) as usize)
    }

    #[stage(Backward)]
    #[stage(Forward)]
    fn backward(&mut self, n: u32) -> Result<usize, NodeError> {
        Ok(n as usize)
    }
}

fn main() {}
