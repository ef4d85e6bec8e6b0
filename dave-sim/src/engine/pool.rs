//! Datagram buffers, reused: the engine never allocates per datagram once the pool has grown
//! to the largest number of datagrams in flight at once.

/// Size of one buffer: larger than any legal datagram, so an oversize one can be produced,
/// seen and dropped (and counted) instead of truncated.
pub const BUFFER_SIZE: usize = 2048;

/// A free list of fixed-size buffers addressed by index.
#[derive(Default)]
pub struct BufferPool {
    buffers: Vec<[u8; BUFFER_SIZE]>,
    free: Vec<u32>,
}

impl BufferPool {
    /// Takes a buffer (contents unspecified).
    pub fn take(&mut self) -> u32 {
        match self.free.pop() {
            Some(id) => id,
            None => {
                self.buffers.push([0; BUFFER_SIZE]);
                self.buffers.len() as u32 - 1
            }
        }
    }

    /// Returns a buffer to the pool.
    pub fn release(&mut self, id: u32) {
        self.free.push(id);
    }

    /// The buffer's bytes.
    pub fn get(&self, id: u32) -> &[u8; BUFFER_SIZE] {
        &self.buffers[id as usize]
    }

    /// The buffer's bytes, writable.
    pub fn get_mut(&mut self, id: u32) -> &mut [u8; BUFFER_SIZE] {
        &mut self.buffers[id as usize]
    }

    /// Buffers ever allocated (the high-water mark of datagrams in flight).
    pub fn allocated(&self) -> usize {
        self.buffers.len()
    }
}
