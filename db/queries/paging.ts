/** One page of a list sorted by a string key: at most `limit + 1` rows after `after`. */
export interface PageRequest {
  limit: number;
  after?: string;
}
