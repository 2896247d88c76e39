// A column header that sorts: first click ascending, second descending.
import { Button, Table } from "@chakra-ui/react";

export function SortHeader(props: {
  column: string;
  label: string;
  sort: string;
  desc: boolean;
  onSort: (column: string, desc: boolean) => void;
}) {
  const { column, label, sort, desc, onSort } = props;
  const active = sort === column;
  return (
    <Table.ColumnHeader
      aria-sort={active ? (desc ? "descending" : "ascending") : "none"}
      whiteSpace="nowrap"
      px="1"
    >
      <Button
        variant="ghost"
        size="xs"
        fontWeight="semibold"
        px="1"
        onClick={() => onSort(column, active ? !desc : false)}
      >
        {label}
        <span aria-hidden="true">{active ? (desc ? " ▼" : " ▲") : ""}</span>
      </Button>
    </Table.ColumnHeader>
  );
}
