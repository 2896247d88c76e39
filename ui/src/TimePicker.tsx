// A 12-hour time picker (hour, minute, AM/PM), as Focus shows times; its value is "HH:MM".
import { HStack, NativeSelect } from "@chakra-ui/react";

const HOURS = Array.from({ length: 12 }, (_, i) => String(i + 1));
const MINUTES = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));

export function splitTime(value: string | null | undefined): { hour: string; minute: string; half: string } {
  const [h, m] = (value || "").split(":").map((p) => Number.parseInt(p, 10));
  if (Number.isNaN(h) || Number.isNaN(m)) return { hour: "", minute: "", half: "AM" };
  return { hour: String(h % 12 === 0 ? 12 : h % 12), minute: String(m).padStart(2, "0"), half: h < 12 ? "AM" : "PM" };
}

export function joinTime(hour: string, minute: string, half: string): string | null {
  if (!hour) return null;
  let h = Number.parseInt(hour, 10) % 12;
  if (half === "PM") h += 12;
  return `${String(h).padStart(2, "0")}:${minute || "00"}`;
}

export function TimePicker12(props: {
  label: string;
  id: string;
  value: string | null | undefined;
  onChange: (value: string | null) => void;
  disabled?: boolean;
  optional?: boolean;
}) {
  const { label, id, value, onChange, disabled, optional } = props;
  const { hour, minute, half } = splitTime(value);
  return (
    <HStack gap="1" flexWrap="nowrap" role="group" aria-label={label} data-time-picker={id}>
      <NativeSelect.Root size="sm" width="20" disabled={disabled}>
        <NativeSelect.Field
          id={`${id}-hour`}
          aria-label={`${label} hour`}
          value={hour}
          onChange={(e) => onChange(e.target.value ? joinTime(e.target.value, minute, half) : null)}
        >
          {(optional || !hour) && <option value="">--</option>}
          {HOURS.map((h) => (
            <option key={h} value={h}>
              {h}
            </option>
          ))}
        </NativeSelect.Field>
        <NativeSelect.Indicator />
      </NativeSelect.Root>
      <span aria-hidden="true">:</span>
      <NativeSelect.Root size="sm" width="20" disabled={disabled}>
        <NativeSelect.Field
          id={`${id}-minute`}
          aria-label={`${label} minute`}
          value={minute || "00"}
          onChange={(e) => onChange(joinTime(hour || "12", e.target.value, half))}
        >
          {MINUTES.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </NativeSelect.Field>
        <NativeSelect.Indicator />
      </NativeSelect.Root>
      <NativeSelect.Root size="sm" width="20" disabled={disabled}>
        <NativeSelect.Field
          id={`${id}-ampm`}
          aria-label={`${label} AM or PM`}
          value={half}
          onChange={(e) => onChange(joinTime(hour || "12", minute, e.target.value))}
        >
          <option value="AM">AM</option>
          <option value="PM">PM</option>
        </NativeSelect.Field>
        <NativeSelect.Indicator />
      </NativeSelect.Root>
    </HStack>
  );
}
