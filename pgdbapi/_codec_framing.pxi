# Message framing: the receive buffer (ReadBuffer), DataRow -> tuple (RowDecoder), the
# frontend message writer (WriteBuffer) and RowDescription parsing.

cimport cython
from cpython.bytes cimport PyBytes_Check
from cpython.dict cimport PyDict_Next
from cpython.object cimport PyObject

DEF DEFER_DEPTH = 64    # nesting below this keeps its tracking (json can nest far deeper)


cdef object _framing_error(str what):
    return OperationalError(f"protocol stream out of sync: {what}")


cdef extern from "Python.h":
    bint PyObject_IS_GC(object o)
    bint PyObject_GC_IsTracked(object o)
    void PyObject_GC_Track(void* op)


cdef inline bint _atomic_row(tuple row) noexcept:
    """CPython's own rule for untracking a tuple (no item can ever hold a reference cycle),
    applied at once; our UUIDs qualify too (see _make_uuid)."""
    for item in row:
        if PyObject_IS_GC(item) and not (type(item) is _UUID or (
                type(item) is tuple and not PyObject_GC_IsTracked(item))):
            return False
    return True


cdef int _defer_tracking(list deferred, object value, int depth) except -1:
    """Untrack a freshly decoded list or dict and the lists and dicts inside it, keeping them
    in ``deferred`` to be tracked again when the result set is complete (_track_again)."""
    cdef Py_ssize_t pos = 0
    cdef PyObject* key
    cdef PyObject* item
    if not PyObject_GC_IsTracked(value):
        return 0
    PyObject_GC_UnTrack(<void*>value)
    deferred.append(value)
    if depth >= DEFER_DEPTH:
        return 0
    if type(value) is list:
        for child in <list>value:
            if type(child) is list or type(child) is dict:
                _defer_tracking(deferred, child, depth + 1)
    else:
        while PyDict_Next(value, &pos, &key, &item):
            if type(<object>item) is list or type(<object>item) is dict:
                _defer_tracking(deferred, <object>item, depth + 1)
    return 0


cdef int _track_again(list deferred) except -1:
    cdef object obj
    for obj in deferred:
        if not PyObject_GC_IsTracked(obj):
            PyObject_GC_Track(<void*>obj)
    del deferred[:]
    return 0


@cython.no_gc_clear      # __dealloc__ needs ``deferred``
cdef class RowDecoder:
    """Turns DataRow bodies into tuples: one decoder code per column, chosen once.

    ``columns`` is one ``(type_oid, format_code)`` per column; ``loaders`` optionally gives
    per column a callable ``f(bytes)`` (or None) that replaces the built-in decoder.
    """

    cdef readonly Py_ssize_t ncols
    cdef int* codes
    cdef uint32_t* aux
    cdef list loaders
    cdef object ctx
    cdef bint needs_tz
    # Containers of the result set being read, untracked by the cycle collector until it
    # is complete: decoding N rows then costs no full collections over the growing result
    # (CPython runs one each time the objects that survived grow by a quarter).
    cdef list deferred

    def __cinit__(self):
        self.codes = NULL
        self.aux = NULL
        self.deferred = []

    def __init__(self, columns, ctx, loaders=None):
        cdef Py_ssize_t i
        cdef int code
        cdef uint32_t aux
        cdef int mode = _mode_of(ctx)
        columns = [(int(oid), int(fmt)) for oid, fmt in columns]
        if loaders is not None and len(loaders) != len(columns):
            raise ProgrammingError(f"{len(loaders)} loaders for {len(columns)} columns")
        self.ncols = len(columns)
        self.ctx = ctx
        PyMem_Free(self.codes)          # __init__ may run twice
        PyMem_Free(self.aux)
        self.codes = <int*>PyMem_Malloc(sizeof(int) * (self.ncols + 1))
        self.aux = <uint32_t*>PyMem_Malloc(sizeof(uint32_t) * (self.ncols + 1))
        if self.codes == NULL or self.aux == NULL:
            raise MemoryError()
        self.loaders = [None] * self.ncols
        self.needs_tz = False
        for i in range(self.ncols):
            oid, fmt = columns[i]
            code = _code_for(oid, fmt, mode, &aux)
            loader = loaders[i] if loaders is not None else None
            if loader is not None:
                code = C_LOADER
                self.loaders[i] = loader
            self.codes[i] = code
            self.aux[i] = aux
            if _needs_tz(code):
                self.needs_tz = True

    def __dealloc__(self):
        if self.deferred:       # a result set abandoned half way: leave nothing untracked
            _track_again(self.deferred)
        PyMem_Free(self.codes)
        PyMem_Free(self.aux)

    cdef object timezone(self):
        return self.ctx.timezone if self.needs_tz else None

    def decode_row(self, body):
        """Decode one DataRow body (OperationalError if it does not match the columns)."""
        if not PyBytes_Check(body):
            body = bytes(body)
        return self._decode_row(PyBytes_AS_STRING(body), PyBytes_GET_SIZE(body), self.timezone(),
                                False)

    cdef int end_of_rows(self) except -1:
        """The result set is complete (or abandoned): track its containers again."""
        if self.deferred:
            _track_again(self.deferred)
        return 0

    cdef tuple _decode_row(self, const char* p, Py_ssize_t n, object tz, bint defer):
        cdef Py_ssize_t pos = 2, i
        cdef int32_t vlen
        cdef int code
        cdef tuple row
        cdef object val
        if n < 2:
            raise _framing_error("DataRow too short")
        if _get_u16(p) != self.ncols:
            raise _framing_error(
                f"DataRow has {_get_u16(p)} columns, RowDescription had {self.ncols}")
        row = PyTuple_New(self.ncols)
        try:
            for i in range(self.ncols):
                if n - pos < 4:
                    raise _framing_error("DataRow truncated")
                vlen = _get_i32(p + pos)
                pos += 4
                if vlen == -1:
                    val = None
                else:
                    if vlen < 0 or vlen > n - pos:
                        raise _framing_error("DataRow value overruns the message")
                    code = self.codes[i]
                    if code == C_STR:
                        val = PyUnicode_DecodeUTF8(p + pos, vlen, NULL)
                    elif code == C_B_INT4:
                        if vlen != 4:
                            _check_len(p + pos, vlen, 4, "int4")
                        val = PyLong_FromLongLong(_get_i32(p + pos))
                    elif code == C_LOADER:
                        val = self.loaders[i](PyBytes_FromStringAndSize(p + pos, vlen))
                    else:
                        val = _decode(code, self.aux[i], p + pos, vlen, tz)
                        if defer and (type(val) is list or type(val) is dict):
                            _defer_tracking(self.deferred, val, 0)
                    pos += vlen
                Py_INCREF(val)
                PyTuple_SET_ITEM(row, i, val)
        except Exception as exc:
            raise _as_data_error(exc)
        if pos != n:
            raise _framing_error("DataRow has trailing bytes")
        if _atomic_row(row):
            PyObject_GC_UnTrack(<void*>row)
        elif defer and PyObject_GC_IsTracked(row):
            PyObject_GC_UnTrack(<void*>row)
            self.deferred.append(row)
        return row


cdef object _tag_rowcount(const char* t, Py_ssize_t n):
    """The row count of a command tag (``INSERT 0 5`` -> 5; ``t`` without its NUL), or None
    when it has none: last word all ASCII digits, first word a counting command."""
    cdef Py_ssize_t first = 0, last = n - 1
    while first < n and t[first] != b' ':
        first += 1
    while last > 0 and t[last] != b' ':
        last -= 1
    if last <= 0 or last == n - 1:
        return None
    for i in range(last + 1, n):
        if t[i] < b'0' or t[i] > b'9':
            return None
    if PyBytes_FromStringAndSize(t, first) not in _COUNTED_COMMANDS:
        return None
    return int(PyBytes_FromStringAndSize(t + last + 1, n - last - 1))


_COUNTED_COMMANDS = _command_tags.COUNTED


cdef class ReadBuffer:
    """One growable receive buffer; finds message boundaries without copying the stream."""

    cdef bytearray buf
    cdef char* data
    cdef Py_ssize_t rpos
    cdef Py_ssize_t wpos
    cdef Py_ssize_t max_size
    cdef bint busy          # read_rows is walking raw pointers: no resizing meanwhile

    def __init__(self, max_message_size=1 << 30):
        self.buf = bytearray(65536)
        self.data = PyByteArray_AS_STRING(self.buf)
        self.rpos = 0
        self.wpos = 0
        self.max_size = max_message_size
        self.busy = False

    def __len__(self):
        return self.wpos - self.rpos

    cdef int _make_room(self, Py_ssize_t need) except -1:
        """Compact consumed bytes away, then grow, until ``need`` bytes are free."""
        cdef Py_ssize_t size = PyByteArray_GET_SIZE(self.buf)
        cdef Py_ssize_t newsize
        if self.busy:
            raise InterfaceError("ReadBuffer modified while read_rows is running")
        if self.rpos == self.wpos:
            self.rpos = self.wpos = 0
        if size - self.wpos >= need:
            return 0
        if self.rpos:
            memmove(self.data, self.data + self.rpos, self.wpos - self.rpos)
            self.wpos -= self.rpos
            self.rpos = 0
        if size - self.wpos < need:
            newsize = size * 2
            if newsize < self.wpos + need:
                newsize = self.wpos + need
            PyByteArray_Resize(self.buf, newsize)
            self.data = PyByteArray_AS_STRING(self.buf)
        return 0

    def fill(self, recv_into, Py_ssize_t size_hint=65536):
        """Make room for size_hint bytes, let recv_into write into the free space once."""
        cdef Py_ssize_t free
        if size_hint < 1:
            size_hint = 1
        self._make_room(size_hint)
        free = PyByteArray_GET_SIZE(self.buf) - self.wpos
        whole = memoryview(self.buf)
        view = whole[self.wpos:]
        try:
            n = recv_into(view)
        finally:
            view.release()
            whole.release()
        if n:
            if not 0 < n <= free:
                raise InterfaceError(f"recv_into returned {n!r} for {free} bytes of space")
            self.wpos += n
        return n

    def feed(self, data):
        """Append bytes (decrypted elsewhere, or in tests)."""
        cdef const unsigned char[:] view
        cdef Py_ssize_t n
        if PyBytes_Check(data):
            n = PyBytes_GET_SIZE(data)
            self._make_room(n)
            memcpy(self.data + self.wpos, PyBytes_AS_STRING(data), n)
        else:
            view = memoryview(data).cast("B")
            n = view.shape[0]
            self._make_room(n)
            if n:
                memcpy(self.data + self.wpos, &view[0], n)
        self.wpos += n

    cdef inline Py_ssize_t _complete(self) except -2:
        """Length field of the next message if it is complete, -1 if not (bad -> error)."""
        cdef Py_ssize_t avail = self.wpos - self.rpos
        cdef int32_t length
        cdef const char* p = self.data + self.rpos
        if avail < 5:
            return -1
        length = _get_i32(p + 1)
        if length < 4 or length > self.max_size:
            raise OperationalError(
                f"invalid message length {length} for message type {chr(<uint8_t>p[0])!r}: "
                "protocol stream out of sync")
        if avail < 1 + <Py_ssize_t>length:
            return -1
        return length

    def next_message(self):
        """Pop the next complete message as (type_byte, body), or None."""
        cdef Py_ssize_t length = self._complete()
        cdef const char* p
        if length < 0:
            return None
        p = self.data + self.rpos
        self.rpos += 1 + length
        return (<uint8_t>p[0], PyBytes_FromStringAndSize(p + 5, length - 4))

    def tally_commands(self, total):
        """Consume consecutive BindComplete / CommandComplete messages (executemany's
        answers), adding each tag's row count to ``total``; see docs/codec.md."""
        cdef Py_ssize_t length, last_pos = -1, last_len = 0
        cdef const char* p
        cdef object count
        while self.wpos - self.rpos >= 5:
            p = self.data + self.rpos
            if p[0] != b'2' and p[0] != b'C':
                break
            length = self._complete()
            if length < 0:
                break
            if p[0] == b'C':
                last_pos, last_len = self.rpos + 5, length - 4
                count = _tag_rowcount(p + 5, length - 5)
                if count is not None:
                    total = count if total < 0 else total + count
            self.rpos += 1 + length
        if last_pos < 0:
            return total, None
        return total, PyBytes_FromStringAndSize(self.data + last_pos, last_len)

    def peek_type(self):
        """Type byte of the next complete message, or -1."""
        if self._complete() < 0:
            return -1
        return <uint8_t>self.data[self.rpos]

    def read_rows(self, decoder, list rows, Py_ssize_t limit=-1):
        """Decode consecutive complete DataRows into rows; return how many were added."""
        cdef Py_ssize_t count = 0, length
        cdef const char* p
        cdef RowDecoder fast = decoder if type(decoder) is RowDecoder else None
        cdef object tz = fast.timezone() if fast is not None else None
        cdef object row
        self.busy = True
        try:
            while limit < 0 or count < limit:
                length = self._complete()     # validates the length whatever the type
                if length < 0:
                    break
                if self.data[self.rpos] != b'D':
                    if fast is not None:       # the result set is complete
                        fast.end_of_rows()
                    break
                p = self.data + self.rpos
                self.rpos += 1 + length        # consumed even if decoding fails
                if fast is not None:
                    row = fast._decode_row(p + 5, length - 4, tz, True)
                else:
                    row = decoder.decode_row(PyBytes_FromStringAndSize(p + 5, length - 4))
                PyList_Append(rows, row)
                count += 1
        except BaseException:
            if fast is not None:               # the caller stops decoding this result set
                fast.end_of_rows()
            raise
        finally:
            self.busy = False
        return count


cdef uint16_t _count16(Py_ssize_t n, str what) except? 0:
    if n > 0xFFFF:
        raise ProgrammingError(f"too many {what}: {n} (the protocol allows 65535)")
    return <uint16_t>n


cdef class WriteBuffer:
    """Accumulates frontend messages; each message's length is back-patched on end()."""

    cdef _Out out
    cdef Py_ssize_t msg_start       # offset of the open message's type byte, or -1

    def __cinit__(self):
        self.out = _Out()
        self.msg_start = -1

    def __len__(self):
        return self.out.len

    # -- primitives --------------------------------------------------------------------

    cpdef start(self, int msgtype):
        if self.msg_start >= 0:
            raise InterfaceError("start() while another message is unfinished")
        self.msg_start = self.out.len
        self.out.put_byte(<char>msgtype)
        self.out.put_u32(0)

    cpdef end(self):
        if self.msg_start < 0:
            raise InterfaceError("end() without start()")
        _put_u32(self.out.buf + self.msg_start + 1, <uint32_t>(self.out.len - self.msg_start - 1))
        self.msg_start = -1

    def write_int16(self, v):
        if not -0x8000 <= v <= 0xFFFF:
            raise ProgrammingError(f"{v} does not fit in an Int16")
        self.out.put_u16(<uint16_t>(v & 0xFFFF))

    def write_int32(self, v):
        if not -0x80000000 <= v <= 0xFFFFFFFF:
            raise ProgrammingError(f"{v} does not fit in an Int32")
        self.out.put_u32(<uint32_t>(v & 0xFFFFFFFF))

    def write_bytes(self, b):
        self.out.put_bytes_obj(b)

    def write_cstr(self, b):
        self.out.put_cstr(b)

    def take(self):
        """Everything written so far, then reset (an unfinished message is an error)."""
        if self.msg_start >= 0:
            raise InterfaceError("take() while a message is unfinished")
        data = self.out.to_bytes()
        self.out.len = 0
        return data

    # -- whole messages ----------------------------------------------------------------
    # Each one is written in full or not at all: a failure rolls the buffer back.

    cdef inline int _rollback(self, Py_ssize_t begin) except -1:
        self.out.len = begin
        self.msg_start = -1
        return 0

    def startup(self, int version, params):
        """StartupMessage (no type byte): length, version, name/value pairs, final NUL."""
        cdef Py_ssize_t begin = self.out.len
        if self.msg_start >= 0:
            raise InterfaceError("startup() while another message is unfinished")
        try:
            self.out.put_u32(0)
            self.out.put_u32(<uint32_t>version)
            for name, value in params:
                self.out.put_cstr(name.encode())
                self.out.put_cstr(value.encode())
            self.out.put_byte(0)
        except BaseException:
            self._rollback(begin)
            raise
        _put_u32(self.out.buf + begin, <uint32_t>(self.out.len - begin))

    cdef inline int _simple(self, char msgtype) except -1:
        self.start(msgtype)
        self.end()
        return 0

    cdef inline int _kind_name(self, char msgtype, object kind, object name) except -1:
        """Describe / Close: a kind byte and a name (arguments checked before anything)."""
        cdef int k = _kind_byte(kind)
        name = _checked_cstr(name)
        self.start(msgtype)
        self.out.put_byte(<char>k)
        self.out.put_cstr(name)
        self.end()
        return 0

    cdef inline int _one_cstr(self, char msgtype, object b) except -1:
        b = _checked_cstr(b)
        self.start(msgtype)
        self.out.put_cstr(b)
        self.end()
        return 0

    cdef inline int _raw(self, char msgtype, object b) except -1:
        if type(b) is not bytes:
            b = bytes(b)
        self.start(msgtype)
        self.out.put_bytes_obj(b)
        self.end()
        return 0

    def query(self, sql):
        self._one_cstr(b'Q', sql)

    def parse(self, name, sql, oids):
        oids = list(oids)
        for oid in oids:
            if not 0 <= oid <= 0xFFFFFFFF:
                raise ProgrammingError(f"invalid parameter type oid {oid!r}")
        name = _checked_cstr(name)
        sql = _checked_cstr(sql)
        cdef uint16_t count = _count16(len(oids), "parameters")
        self.start(b'P')
        self.out.put_cstr(name)
        self.out.put_cstr(sql)
        self.out.put_u16(count)
        for oid in oids:
            self.out.put_u32(<uint32_t>oid)
        self.end()

    def bind(self, portal, statement, params, oids, result_formats, ctx):
        """Bind with each parameter encoded straight into the buffer (format codes patched)."""
        cdef Py_ssize_t begin = self.out.len
        cdef Py_ssize_t nparams = len(params), fmt_pos, i
        cdef int fmt = 0
        cdef int64_t declared
        if nparams != len(oids):
            raise ProgrammingError(f"{nparams} parameters but {len(oids)} parameter types")
        self.start(b'B')
        try:
            self.out.put_cstr(portal)
            self.out.put_cstr(statement)
            self.out.put_u16(_count16(nparams, "parameters"))
            fmt_pos = self.out.len
            self.out.reserve(2 * nparams)
            self.out.len += 2 * nparams
            self.out.put_u16(<uint16_t>nparams)
            for i in range(nparams):
                oid = oids[i]
                declared = oid if -1 <= oid <= 0xFFFFFFFF else -1
                _encode_into(self.out, params[i], declared, &fmt)
                _put_u16(self.out.buf + fmt_pos + 2 * i, <uint16_t>fmt)
            result_formats = list(result_formats)
            self.out.put_u16(_count16(len(result_formats), "result format codes"))
            for f in result_formats:
                if not 0 <= f <= 0xFFFF:
                    raise ProgrammingError(f"invalid result format code {f!r}")
                self.out.put_u16(<uint16_t>f)
        except BaseException:
            self._rollback(begin)
            raise
        self.end()

    def describe(self, kind, name):
        self._kind_name(b'D', kind, name)

    def execute(self, portal, max_rows):
        if not -0x80000000 <= max_rows <= 0xFFFFFFFF:
            raise ProgrammingError(f"{max_rows} does not fit in an Int32")
        portal = _checked_cstr(portal)
        self.start(b'E')
        self.out.put_cstr(portal)
        self.out.put_u32(<uint32_t>(max_rows & 0xFFFFFFFF))
        self.end()

    def close(self, kind, name):
        self._kind_name(b'C', kind, name)

    def sync(self):
        self._simple(b'S')

    def flush(self):
        self._simple(b'H')

    def terminate(self):
        self._simple(b'X')

    def copy_done(self):
        self._simple(b'c')

    def password(self, data):
        """Any 'p' message: data is the whole body (a PasswordMessage includes its NUL)."""
        self._raw(b'p', data)

    def copy_data(self, data):
        self._raw(b'd', data)

    def copy_fail(self, message):
        self._one_cstr(b'f', message)


cdef bytes _checked_cstr(object b):
    """b as bytes, refused (ProgrammingError) if it holds a NUL: it is sent NUL-terminated."""
    if type(b) is not bytes:
        b = bytes(b)
    if memchr(PyBytes_AS_STRING(b), 0, PyBytes_GET_SIZE(b)) != NULL:
        raise ProgrammingError(f"a NUL byte cannot be sent inside a string: {b[:60]!r}")
    return b


cdef int _kind_byte(object kind) except -1:
    """'S' / 'P' given as an int or a one-byte bytes/str."""
    if isinstance(kind, int):
        return kind
    if len(kind) == 1:
        return ord(kind)
    raise ProgrammingError(f"invalid kind {kind!r}")


def parse_row_description(body):
    """RowDescription body -> [(name, table_oid, attnum, type_oid, typlen, typmod, format)]."""
    cdef const char* p
    cdef Py_ssize_t n, pos = 2, end
    cdef Py_ssize_t count, i
    if not PyBytes_Check(body):
        body = bytes(body)
    p = PyBytes_AS_STRING(body)
    n = PyBytes_GET_SIZE(body)
    if n < 2:
        raise _framing_error("RowDescription truncated")
    count = _get_u16(p)
    fields = []
    for i in range(count):
        end = pos
        while end < n and p[end] != 0:
            end += 1
        if end >= n or n - (end + 1) < 18:
            raise _framing_error("RowDescription truncated")
        try:
            name = PyUnicode_DecodeUTF8(p + pos, end - pos, NULL)
        except UnicodeDecodeError:
            raise _framing_error("RowDescription column name is not valid UTF-8")
        pos = end + 1
        fields.append((
            name,
            _get_u32(p + pos),
            _get_i16(p + pos + 4),
            _get_u32(p + pos + 6),
            _get_i16(p + pos + 10),
            _get_i32(p + pos + 12),
            _get_i16(p + pos + 16),
        ))
        pos += 18
    if pos != n:
        raise _framing_error("RowDescription has trailing bytes")
    return fields
