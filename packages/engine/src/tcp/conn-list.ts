/**
 * An intrusive doubly linked list of connections ordered by last activity (packet time). Connections are appended
 * at the tail when touched, so the head is always the least recently used: idle expiry and LRU eviction only ever
 * look at heads, which makes both O(1) per connection removed and free when nothing is due.
 *
 * The links live on the connection itself (no node objects): touching a connection on every packet allocates
 * nothing.
 */
export interface ListLinks<T extends ListLinks<T>> {
  list: ConnList<T> | null;
  prev: T | null;
  next: T | null;
}

export class ConnList<T extends ListLinks<T>> {
  head: T | null = null;
  tail: T | null = null;
  size = 0;

  /** Appends `item` (which must not be on any list) at the tail. */
  push(item: T): void {
    item.list = this;
    item.prev = this.tail;
    item.next = null;
    if (this.tail === null) this.head = item;
    else this.tail.next = item;
    this.tail = item;
    this.size++;
  }

  remove(item: T): void {
    if (item.list !== this) return;
    const { prev, next } = item;
    if (prev === null) this.head = next;
    else prev.next = next;
    if (next === null) this.tail = prev;
    else next.prev = prev;
    item.list = null;
    item.prev = null;
    item.next = null;
    this.size--;
  }

  /** Moves `item` (already on this list) to the tail: it becomes the most recently used. */
  moveToTail(item: T): void {
    if (this.tail === item) return;
    this.remove(item);
    this.push(item);
  }
}
