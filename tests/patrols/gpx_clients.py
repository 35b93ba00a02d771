"""GPX files as real clients write them: OsmAnd's trip recording (phone) and a Garmin handheld.

Namespaces, element order, number and time formats follow what these clients write; only the points
come from the test's walk (so they lie in the demo grid, at times inside the accepted window).
"""

from datetime import UTC, datetime


def _utc(t_ms, millis=False):
    moment = datetime.fromtimestamp(t_ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{moment.microsecond // 1000:03d}" if millis else "") + "Z"


def osmand_gpx(segments):
    """OsmAnd 4.x trip recording: one <trk>, one <trkseg> per recording pause, hdop and osmand: extensions."""
    parts = [
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
        '<gpx version="1.1" creator="OsmAnd~ 4.7.10" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:osmand="https://osmand.net/docs/technical/osmand-file-formats/osmand-gpx" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd">\n'
        f"  <metadata>\n    <name>{_utc(segments[0][0][0])[:10]}_09-00_Mon</name>\n"
        f"    <time>{_utc(segments[0][0][0])}</time>\n  </metadata>\n"
        "  <trk>\n"
    ]
    for rows in segments:
        parts.append("    <trkseg>\n")
        for t, lon, lat, *_ in rows:
            parts.append(
                f'      <trkpt lat="{lat:.7f}" lon="{lon:.7f}">\n        <ele>14.2</ele>\n'
                f"        <time>{_utc(t, millis=True)}</time>\n        <hdop>4.8</hdop>\n"
                "        <extensions>\n          <osmand:speed>1.2</osmand:speed>\n        </extensions>\n"
                "      </trkpt>\n"
            )
        parts.append("    </trkseg>\n")
    parts.append(
        "  </trk>\n  <extensions>\n    <osmand:show_arrows>false</osmand:show_arrows>\n  </extensions>\n</gpx>"
    )
    return "".join(parts).encode()


def _garmin_point(tag, lat, lon, t=None, indent="      "):
    time = f"{indent}  <time>{_utc(t)}</time>\n" if t is not None else ""
    extension = (
        f"{indent}  <extensions>\n{indent}    <gpxtpx:TrackPointExtension>\n"
        f"{indent}      <gpxtpx:atemp>21.0</gpxtpx:atemp>\n{indent}    </gpxtpx:TrackPointExtension>\n"
        f"{indent}  </extensions>\n"
        if tag == "trkpt" and t is not None
        else ""
    )
    head = f'{indent}<{tag} lat="{lat:.6f}" lon="{lon:.6f}">\n{indent}  <ele>12.47</ele>\n'
    return f"{head}{time}{extension}{indent}</{tag}>\n"


def garmin_gpx(tracks, route, untimed_track):
    """A Garmin eTrex export: gpxx/gpxtpx namespaces, a waypoint, an untimed planned <rte>, several <trk>
    (each a list of segments), and an untimed <trk> (a course copied onto the device)."""
    first = tracks[0][0][0]
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n'
        '<gpx xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxx="http://www.garmin.com/xmlschemas/GpxExtensions/v3" '
        'xmlns:wptx1="http://www.garmin.com/xmlschemas/WaypointExtension/v1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1" creator="eTrex 32x" version="1.1" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd '
        "http://www.garmin.com/xmlschemas/GpxExtensions/v3 http://www8.garmin.com/xmlschemas/GpxExtensionsv3.xsd "
        "http://www.garmin.com/xmlschemas/TrackPointExtension/v1 "
        'http://www8.garmin.com/xmlschemas/TrackPointExtensionv1.xsd">\n'
        '  <metadata>\n    <link href="http://www.garmin.com">\n      <text>Garmin International</text>\n'
        f"    </link>\n    <time>{_utc(first[0])}</time>\n  </metadata>\n",
        _garmin_point("wpt", first[2], first[1], first[0], indent="  ").replace(
            "  </wpt>", "    <name>001</name>\n    <sym>Flag, Blue</sym>\n  </wpt>"
        ),
        "  <rte>\n    <name>巡查计划</name>\n",
    ]
    parts += [_garmin_point("rtept", lat, lon, indent="    ") for lon, lat in route]
    parts.append("  </rte>\n")
    for n, segments in enumerate(tracks):
        parts.append(
            f"  <trk>\n    <name>{_utc(segments[0][0][0])[:10]} {n}</name>\n    <extensions>\n"
            "      <gpxx:TrackExtension>\n        <gpxx:DisplayColor>Cyan</gpxx:DisplayColor>\n"
            "      </gpxx:TrackExtension>\n    </extensions>\n"
        )
        for rows in segments:
            parts.append("    <trkseg>\n")
            parts += [_garmin_point("trkpt", lat, lon, t) for t, lon, lat, *_ in rows]
            parts.append("    </trkseg>\n")
        parts.append("  </trk>\n")
    parts.append("  <trk>\n    <name>课程</name>\n    <trkseg>\n")
    parts += [_garmin_point("trkpt", lat, lon) for lon, lat in untimed_track]
    parts.append("    </trkseg>\n  </trk>\n</gpx>\n")
    return "".join(parts).encode()
