// Prev, a page box (Enter jumps) and Next, on one line.
import { Button, HStack, Input, Text } from "@chakra-ui/react";
import { useEffect, useState } from "react";

export function Pager(props: {
  page: number;
  pages: number;
  total: number;
  noun: string;
  onPage: (page: number) => void;
}) {
  const { page, pages, total, noun, onPage } = props;
  const [box, setBox] = useState(String(page));
  useEffect(() => setBox(String(page)), [page]);
  const jump = () => {
    const wanted = Number.parseInt(box, 10);
    if (Number.isNaN(wanted)) {
      setBox(String(page));
      return;
    }
    onPage(Math.min(Math.max(1, wanted), Math.max(1, pages)));
  };
  return (
    <HStack gap="2" flexWrap="nowrap" whiteSpace="nowrap">
      <Text fontSize="sm" color="fg.muted" aria-live="polite">
        {total} {noun}
      </Text>
      <Button size="xs" variant="outline" onClick={() => onPage(Math.max(1, page - 1))} disabled={page <= 1}>
        Prev
      </Button>
      <Text fontSize="sm">Page</Text>
      <Input
        size="xs"
        width="12"
        aria-label="Page number"
        value={box}
        inputMode="numeric"
        onChange={(e) => setBox(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") jump();
        }}
        onBlur={jump}
      />
      <Text fontSize="sm">of {Math.max(1, pages)}</Text>
      <Button size="xs" variant="outline" onClick={() => onPage(Math.min(pages, page + 1))} disabled={page >= pages}>
        Next
      </Button>
    </HStack>
  );
}
