use hooks_runtime::prelude::*;

#[derive(Debug)]
pub struct NodeError;

impl From<Vetoed> for NodeError {
    fn from(_: Vetoed) -> Self {
        NodeError
    }
}

stage!(pub Forward(String, u32) -> Result<usize, NodeError>);

#[derive(Hooks, Default)]
#[provides_hooks(Forward)]
struct Agent {
    attached: AttachedHooks,
}

#[hooks]
impl Agent {
    #[stage(Forward)]
    fn forward(&mut self, (input, n): (String, u32)) -> Result<usize, NodeError> {
        Ok(input.len() * n as usize)
    }
}

fn main() {}
