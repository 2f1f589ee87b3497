//! Counts the nodes a Redis radix tree (`src/rax.c`) allocates for a set of
//! keys inserted in order, for `streamRadixTreeMemoryUsage` (MEMORY.md §3.7).
//!
//! Only the shape is simulated: compressed nodes (a run of bytes with one
//! child), branch nodes (one byte per child) and key flags, split and
//! extended exactly as `raxInsert` does.

#[derive(Clone, Debug, Default)]
struct Node {
    /// Compressed: `bytes` is a run with one child. Otherwise one byte per child.
    compressed: bool,
    bytes: Vec<u8>,
    children: Vec<usize>,
    key: bool,
}

/// A radix tree that only counts its nodes.
#[derive(Clone, Debug)]
pub struct Rax {
    nodes: Vec<Node>,
    pub elements: u64,
}

impl Default for Rax {
    fn default() -> Self {
        Rax {
            nodes: vec![Node::default()],
            elements: 0,
        }
    }
}

impl Rax {
    pub fn node_count(&self) -> u64 {
        self.nodes.len() as u64
    }

    fn add(&mut self, n: Node) -> usize {
        self.nodes.push(n);
        self.nodes.len() - 1
    }

    pub fn insert(&mut self, s: &[u8]) {
        // raxLowWalk: find where the key leaves the tree.
        let mut h = 0usize;
        let mut i = 0usize;
        let mut split: Option<usize> = None;
        while i < s.len() && !self.nodes[h].bytes.is_empty() {
            let n = &self.nodes[h];
            if n.compressed {
                let j = n
                    .bytes
                    .iter()
                    .zip(&s[i..])
                    .take_while(|(a, b)| a == b)
                    .count();
                if j != n.bytes.len() {
                    split = Some(j);
                    i += j;
                    break;
                }
                i += j;
                h = n.children[0];
            } else {
                match n.bytes.iter().position(|&b| b == s[i]) {
                    Some(k) => {
                        h = n.children[k];
                        i += 1;
                    }
                    None => break,
                }
            }
        }
        if let Some(j) = split {
            if i == s.len() {
                // ALGO 2: the key ends inside a compressed node: split it
                // into a key prefix and a postfix.
                let post = self.nodes[h].bytes.split_off(j);
                let child = self.nodes[h].children[0];
                let postfix = self.add(Node {
                    compressed: post.len() > 1,
                    bytes: post,
                    children: vec![child],
                    key: false,
                });
                let n = &mut self.nodes[h];
                n.compressed = n.bytes.len() > 1;
                n.children = vec![postfix];
                if !n.key {
                    n.key = true;
                    self.elements += 1;
                }
                return;
            }
            // ALGO 1: split at the first differing byte.
            let next = self.nodes[h].children[0];
            let bytes = self.nodes[h].bytes.clone();
            let post = &bytes[j + 1..];
            let postfix = if post.is_empty() {
                next
            } else {
                self.add(Node {
                    compressed: post.len() > 1,
                    bytes: post.to_vec(),
                    children: vec![next],
                    key: false,
                })
            };
            if j == 0 {
                // The node itself becomes the split (branch) node.
                let n = &mut self.nodes[h];
                n.compressed = false;
                n.bytes = vec![bytes[0]];
                n.children = vec![postfix];
            } else {
                let splitnode = self.add(Node {
                    compressed: false,
                    bytes: vec![bytes[j]],
                    children: vec![postfix],
                    key: false,
                });
                let n = &mut self.nodes[h];
                n.bytes.truncate(j);
                n.compressed = j > 1;
                n.children = vec![splitnode];
                h = splitnode;
            }
        }
        // Insert the rest of the key below h.
        while i < s.len() {
            if self.nodes[h].bytes.is_empty() && s.len() - i > 1 {
                let child = self.add(Node::default());
                let n = &mut self.nodes[h];
                n.compressed = true;
                n.bytes = s[i..].to_vec();
                n.children = vec![child];
                h = child;
                i = s.len();
            } else {
                let child = self.add(Node::default());
                let n = &mut self.nodes[h];
                let pos = n
                    .bytes
                    .iter()
                    .position(|&b| b > s[i])
                    .unwrap_or(n.bytes.len());
                n.bytes.insert(pos, s[i]);
                n.children.insert(pos, child);
                n.compressed = false;
                h = child;
                i += 1;
            }
        }
        if !self.nodes[h].key {
            self.nodes[h].key = true;
            self.elements += 1;
        }
    }

    /// Bytes the allocator really hands out for this tree (Valkey's
    /// `raxAllocSize`): the 24-byte `rax` struct and every node, each node
    /// being a 4-byte header, its bytes padded to 8, one child pointer
    /// (compressed) or one per byte (branch), and a value pointer on keys.
    pub fn alloc_size(&self, alloc: impl Fn(u64) -> u64) -> u64 {
        let mut total = alloc(24);
        for n in &self.nodes {
            let size = n.bytes.len() as u64;
            let pad = (8 - (size + 4) % 8) % 8;
            let children = if n.compressed { 8 } else { 8 * size };
            total += alloc(4 + size + pad + children + if n.key { 8 } else { 0 });
        }
        total
    }

    /// `streamRadixTreeMemoryUsage`: 16 bytes per element and
    /// `sizeof(raxNode) + 30 pointers` per node (Redis `src/object.c`).
    pub fn usage(&self) -> u64 {
        16 * self.elements + 244 * self.node_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> [u8; 16] {
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&ms.to_be_bytes());
        k[8..].copy_from_slice(&seq.to_be_bytes());
        k
    }

    #[test]
    fn measured_shapes() {
        // MEMORY.md §3.7: empty rax = 1 node (244); one ID = 2 nodes (504 with 16 per element).
        let r = Rax::default();
        assert_eq!(r.usage(), 244);
        let mut r = Rax::default();
        r.insert(&id(1, 0));
        assert_eq!(r.node_count(), 2);
        assert_eq!(r.usage(), 504);
    }

    #[test]
    fn splits() {
        let mut r = Rax::default();
        r.insert(&id(1700000000000, 0));
        r.insert(&id(1700000000000, 1));
        // Common 15-byte prefix (compressed), branch on the last byte, two leaves.
        assert_eq!(r.elements, 2);
        assert_eq!(r.node_count(), 4);
        r.insert(&id(1700000000000, 1));
        assert_eq!(r.elements, 2);
    }
}
