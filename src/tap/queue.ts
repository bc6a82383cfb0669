/** A bounded async queue: producers wait while it is full, so a fast parent cannot outrun its children. */
export class AsyncQueue<T> {
  private readonly items: T[] = [];
  private readonly takers: ((value: IteratorResult<T>) => void)[] = [];
  private readonly pushers: (() => void)[] = [];
  private closed = false;

  constructor(private readonly capacity: number) {}

  /** Resolves false when the queue was closed (the consumer gave up). */
  async push(item: T): Promise<boolean> {
    while (!this.closed && this.items.length >= this.capacity)
      await new Promise<void>((r) => this.pushers.push(r));
    if (this.closed) return false;
    const taker = this.takers.shift();
    if (taker) taker({ value: item, done: false });
    else this.items.push(item);
    return true;
  }

  close(): void {
    this.closed = true;
    for (const taker of this.takers.splice(0)) taker({ value: undefined, done: true });
    for (const pusher of this.pushers.splice(0)) pusher();
  }

  /** Stop: drop what is queued and wake everyone. */
  abort(): void {
    this.items.length = 0;
    this.close();
  }

  private take(): Promise<IteratorResult<T>> {
    if (this.items.length) {
      const value = this.items.shift()!;
      this.pushers.shift()?.();
      return Promise.resolve({ value, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.takers.push(resolve));
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.take() };
  }
}
