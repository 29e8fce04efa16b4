import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP proxy on 127.0.0.1 between a core and the backend, which a test cuts and restores to
/// play a phone losing its network in a car park while the charger stays connected.
///
/// Blocking sockets, one thread per direction of each connection: a test makes a handful.
///
/// `@unchecked Sendable`: its threads share `isCut`, `isClosed`, `open` and `ended`, which are
/// only read or written while `lock` is held; everything else is immutable after `init`.
final class FaultProxy: @unchecked Sendable {
    let port: UInt16
    private let targetPort: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var isCut = false
    private var isClosed = false
    /// Both sockets of every forwarded connection, to shut down on `cut()`.
    private var open: Set<Int32> = []
    /// How many directions of each connection (by its client socket) have ended.
    private var ended: [Int32: Int] = [:]

    init(targetPort: UInt16) throws {
        self.targetPort = targetPort
        let listener = socket(AF_INET, Self.streamType, 0)
        guard listener >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else {
            closeDescriptor(listener)
            throw TestFailure("proxy bind/listen: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Drops every open connection and refuses new ones, as a lost network does.
    func cut() {
        lock.withLock {
            isCut = true
            for socket in open { shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    func restore() {
        lock.withLock { isCut = false }
    }

    /// Stops listening and drops every connection.
    func close() {
        cut()
        lock.withLock {
            guard !isClosed else { return }
            isClosed = true
            // Wakes the accept loop, which closes the listener.
            shutdown(listener, Int32(SHUT_RDWR))
        }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                break
            }
            Self.ignoreSIGPIPE(client)
            let refused = lock.withLock { isCut || isClosed }
            guard !refused, let upstream = connectUpstream() else {
                closeDescriptor(client)
                continue
            }
            lock.withLock {
                open.insert(client)
                open.insert(upstream)
            }
            Thread.detachNewThread { [self] in pump(from: client, to: upstream, connection: client) }
            Thread.detachNewThread { [self] in pump(from: upstream, to: client, connection: client) }
        }
        closeDescriptor(listener)
    }

    private func connectUpstream() -> Int32? {
        let upstream = socket(AF_INET, Self.streamType, 0)
        guard upstream >= 0 else { return nil }
        Self.ignoreSIGPIPE(upstream)
        var address = Self.loopback(port: targetPort)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            closeDescriptor(upstream)
            return nil
        }
        return upstream
    }

    /// Copies bytes one way until either side ends; the second direction to end closes both.
    private func pump(from source: Int32, to destination: Int32, connection: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        copying: while true {
            let count = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            var sent = 0
            while sent < count {
                let written = buffer.withUnsafeBytes { send(destination, $0.baseAddress! + sent, count - sent, Self.noSignal) }
                if written <= 0 { break copying }
                sent += written
            }
        }
        // Tells the other direction to end too.
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(destination, Int32(SHUT_RDWR))
        let last = lock.withLock {
            ended[connection, default: 0] += 1
            guard ended[connection] == 2 else { return false }
            ended[connection] = nil
            open.remove(source)
            open.remove(destination)
            return true
        }
        if last {
            closeDescriptor(source)
            closeDescriptor(destination)
        }
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// A peer that went away must not kill the test process with SIGPIPE: Linux says so per
    /// `send` (`noSignal`), Darwin per socket.
    private static func ignoreSIGPIPE(_ socket: Int32) {
        #if canImport(Darwin)
        var on: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    #if canImport(Glibc)
    private static let streamType = Int32(SOCK_STREAM.rawValue)
    private static let noSignal = Int32(MSG_NOSIGNAL)
    #else
    private static let streamType = SOCK_STREAM
    private static let noSignal: Int32 = 0
    #endif
}

/// `close(2)`, which `FaultProxy.close()` hides inside the type.
private func closeDescriptor(_ descriptor: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(descriptor)
    #else
    _ = Darwin.close(descriptor)
    #endif
}
