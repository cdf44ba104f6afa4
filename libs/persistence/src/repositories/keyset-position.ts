/** Where a listing ordered by (a timestamp, id) stopped: the last row of the previous page. */
export interface KeysetPosition {
  at: Date;
  id: string;
}
