// Filters per column: + adds one, − removes it, the gray arrow picks the operator.
import { Button, HStack, IconButton, Input, Menu, NativeSelect, Portal, Stack, Text } from "@chakra-ui/react";

import {
  type ColumnFilter,
  FILTER_COLUMNS,
  OPERATOR_LABELS,
  operatorsFor,
  valueInputType,
} from "./filters";

let nextKey = 1;

export function newFilter(column = "title"): ColumnFilter {
  nextKey += 1;
  return { key: nextKey, column, op: "contains", value: "" };
}

export function FilterBar(props: { filters: ColumnFilter[]; onChange: (filters: ColumnFilter[]) => void }) {
  const { filters, onChange } = props;
  const update = (key: number, change: Partial<ColumnFilter>) =>
    onChange(
      filters.map((f) => {
        if (f.key !== key) return f;
        const next = { ...f, ...change };
        if (!operatorsFor(next.column).includes(next.op)) next.op = "contains";
        return next;
      }),
    );
  return (
    <Stack gap="1" data-testid="filters">
      {filters.map((f, index) => {
        const columnLabel = FILTER_COLUMNS.find((c) => c.value === f.column)?.label ?? f.column;
        return (
          <HStack key={f.key} gap="1" flexWrap="nowrap" data-testid="filter">
            <NativeSelect.Root size="xs" width="36">
              <NativeSelect.Field
                aria-label={`Filter ${index + 1} column`}
                value={f.column}
                onChange={(e) => update(f.key, { column: e.target.value, value: "" })}
              >
                {FILTER_COLUMNS.map((c) => (
                  <option key={c.value} value={c.value}>
                    {c.label}
                  </option>
                ))}
              </NativeSelect.Field>
              <NativeSelect.Indicator />
            </NativeSelect.Root>
            <Menu.Root onSelect={(d) => update(f.key, { op: d.value })}>
              <Menu.Trigger asChild>
                <Button
                  size="xs"
                  variant="outline"
                  color="fg.muted"
                  aria-label={`Filter ${index + 1} operator: ${OPERATOR_LABELS[f.op]}`}
                  minWidth="24"
                  justifyContent="space-between"
                >
                  {OPERATOR_LABELS[f.op]}
                  <span aria-hidden="true">▾</span>
                </Button>
              </Menu.Trigger>
              <Portal>
                <Menu.Positioner>
                  <Menu.Content>
                    {operatorsFor(f.column).map((op) => (
                      <Menu.Item key={op} value={op}>
                        {OPERATOR_LABELS[op]}
                      </Menu.Item>
                    ))}
                  </Menu.Content>
                </Menu.Positioner>
              </Portal>
            </Menu.Root>
            {f.op === "is_empty" ? (
              <Text fontSize="xs" color="fg.muted" width="44">
                ({columnLabel} is blank)
              </Text>
            ) : (
              <Input
                size="xs"
                width="44"
                type={valueInputType(f.column, f.op)}
                aria-label={`Filter ${index + 1} value (${columnLabel} ${OPERATOR_LABELS[f.op]})`}
                value={f.value}
                onChange={(e) => update(f.key, { value: e.target.value })}
              />
            )}
            <IconButton
              size="xs"
              variant="outline"
              colorPalette="red"
              aria-label={`Remove filter ${index + 1}`}
              onClick={() => onChange(filters.filter((x) => x.key !== f.key))}
            >
              −
            </IconButton>
          </HStack>
        );
      })}
      <HStack>
        <Button
          size="xs"
          variant="outline"
          colorPalette="green"
          aria-label="Add filter"
          onClick={() => onChange([...filters, newFilter()])}
        >
          + Filter
        </Button>
      </HStack>
    </Stack>
  );
}
